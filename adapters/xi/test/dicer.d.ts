// Minimal typings for dicer 0.3 (a streaming multipart parser), as used by the wire tests.
declare module 'dicer' {
  import { Writable, Readable } from 'node:stream';
  interface PartStream extends Readable {
    on(event: 'header', listener: (header: Record<string, string[]>) => void): this;
    on(event: 'data', listener: (chunk: Buffer) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  class Dicer extends Writable {
    constructor(options: { boundary: string; headerFirst?: boolean });
    on(event: 'part', listener: (part: PartStream) => void): this;
    on(event: 'finish', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export = Dicer;
}
