/** Errors of the runtime. Every one has a stable `code`; none carries a secret value. */
import { CredentialError } from './credentials.js';

export interface FlowProblemLocation {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  message: string;
  code?: string;
}

/** The flow cannot run: it has errors (schema, syntax, unknown receiver, ...). */
export class FlowValidationError extends Error {
  readonly code = 'SF_FLOW_INVALID';
  constructor(readonly problems: FlowProblemLocation[]) {
    super(
      `the flow has ${problems.length} error${problems.length === 1 ? '' : 's'} and cannot run:\n` +
        problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message}${p.code ? ` (${p.code})` : ''}`).join('\n'),
    );
    this.name = 'FlowValidationError';
  }
}

/** A credential the flow needs is not in the credential store (or has the wrong type). */
export class MissingCredentialError extends CredentialError {
  constructor(
    readonly credential: string,
    readonly receiver: string,
    message: string,
  ) {
    super(message, 'SF_CREDENTIAL_MISSING');
    this.name = 'MissingCredentialError';
  }
}

/** A step failed. `message` is the cause only; the runner adds step and receiver. */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly stepId?: string,
    readonly receiver?: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}
