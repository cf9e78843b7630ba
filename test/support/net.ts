// Small network helpers shared by the integration tests.
import { createServer } from 'node:net';
import { request as httpRequest } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A TCP port that was free a moment ago on `host`: binds port 0, reads the port the kernel
 * chose, closes. Another process can take it in between; callers that hand the port to a
 * child process should retry on "address in use".
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: could not read the bound port on ${host}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** One plain HTTP GET with a per-request timeout; never follows redirects, never throws on status. */
export function probe(url: string, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface WaitForHttpOptions {
  /** Total time to wait (default 60 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
  /** Which answer counts as ready (default: status 200). */
  ready?: (r: ProbeResult) => boolean;
  /** Stop early (e.g. the server process died); return a reason to give up with. */
  abort?: () => string | undefined;
}

/**
 * Polls `url` until it answers as `ready` says. Bounded: rejects after `timeoutMs` with the
 * last status or error seen, or as soon as `abort()` returns a reason.
 */
export async function waitForHttp(url: string, options: WaitForHttpOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 200;
  const ready = options.ready ?? ((r: ProbeResult) => r.status === 200);
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt yet';
  while (true) {
    const reason = options.abort?.();
    if (reason !== undefined) throw new Error(`waiting for ${url}: ${reason}`);
    try {
      const r = await probe(url, Math.min(5000, Math.max(500, deadline - Date.now())));
      if (ready(r)) return r;
      last = `status ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`${url} was not ready within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
    }
    await delay(intervalMs);
  }
}
