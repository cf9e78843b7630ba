/**
 * Helpers shared by the SOAP-based adapters (soap, idoc, xi): message ids for reliable
 * messaging. (URLs, headers and status texts come from the SDK's adapter helpers.)
 */
import { randomUUID } from 'node:crypto';
import { AdapterError, headerValue } from '@sessionflow/sdk';

const UUID_DASHED = /^(?:uuid:)?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i;

/** Normalises a message id given as a UUID (with or without dashes or `uuid:`) to the dashed lower-case form; undefined if it is none. */
export function normaliseUuid(value: string): string | undefined {
  const m = UUID_DASHED.exec(value.trim());
  return m ? m.slice(1, 6).join('-').toLowerCase() : undefined;
}

/**
 * The message id for a reliable (exactly-once) message: reused from the named message header
 * so that a retried exchange is recognised as a duplicate by the receiver, else a new UUID.
 */
export function reliableMessageId(code: string, receiverName: string, messageHeaders: Record<string, string>, headerName: string): { id: string; reused: boolean } {
  const given = headerName !== '' ? headerValue(messageHeaders, headerName) : undefined;
  if (given === undefined || given.trim() === '') return { id: randomUUID(), reused: false };
  const id = normaliseUuid(given);
  if (id === undefined) {
    throw new AdapterError(code, `message header "${headerName}" for receiver "${receiverName}" is not a UUID (32 hex digits, dashes optional); it is used as the message id for duplicate detection`);
  }
  return { id, reused: true };
}

export function truncate(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
