import { createHash } from 'node:crypto';

/**
 * Short, stable fingerprint of a secret-bearing value (cookie string, token): the first
 * 12 hex characters of its SHA-256. This is the only form in which session cookies, tokens
 * or credentials may appear in logs, events, traces or errors.
 */
export function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12);
}
