/**
 * The local credential store: secret values for the credentials a flow declares.
 *
 * Sources (a file entry overrides the environment for the same name):
 *
 * 1. Environment variables `SESSIONFLOW_CREDENTIAL_<NAME>_<FIELD>` where `<NAME>` is the
 *    credential name upper-cased with every character that is not a letter or digit replaced
 *    by `_` (so `erp-user` → `ERP_USER`, `s4.oauth` → `S4_OAUTH`) and `<FIELD>` is one of
 *      - `USER` + `PASSWORD`            → `{type: 'basic'}`
 *      - `CLIENT_ID` + `CLIENT_SECRET`  → `{type: 'oauth2'}`
 *      - `CERT` + `KEY` (file paths)    → `{type: 'client-certificate'}`
 *    Example: `SESSIONFLOW_CREDENTIAL_ERP_USER_USER=alice`, `SESSIONFLOW_CREDENTIAL_ERP_USER_PASSWORD=...`.
 * 2. A file (YAML or JSON) mapping name → `{user, password}` | `{clientId, clientSecret}` |
 *    `{cert, key}`. Relative `cert`/`key` paths are resolved against the file's folder. The
 *    file must not be readable or writable by group or others (`chmod 600`).
 *
 * Secret values never appear in error messages; only names, files and field names do.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export type Credential =
  | { type: 'basic'; user: string; password: string }
  | { type: 'oauth2'; clientId: string; clientSecret: string }
  | { type: 'client-certificate'; certPath: string; keyPath: string };

export type CredentialType = Credential['type'];

export interface CredentialProvider {
  get(name: string): Credential | undefined;
}

/** A credential store could not be read or has a bad entry. Never carries secret values. */
export class CredentialError extends Error {
  readonly code: string;
  constructor(message: string, code = 'SF_CREDENTIALS') {
    super(message);
    this.name = 'CredentialError';
    this.code = code;
  }
}

/** `NAME` part of the environment variable names for a credential name. */
export function credentialEnvName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The environment variables that would hold a credential of the given type. */
export function credentialEnvVariables(name: string, type: CredentialType): string[] {
  const base = `SESSIONFLOW_CREDENTIAL_${credentialEnvName(name)}_`;
  switch (type) {
    case 'basic':
      return [`${base}USER`, `${base}PASSWORD`];
    case 'oauth2':
      return [`${base}CLIENT_ID`, `${base}CLIENT_SECRET`];
    case 'client-certificate':
      return [`${base}CERT`, `${base}KEY`];
  }
}

/** A provider over a fixed map (tests, editors that keep secrets elsewhere). */
export function staticCredentials(entries: Record<string, Credential>): CredentialProvider {
  const map = new Map(Object.entries(entries));
  return { get: (name) => map.get(name) };
}

const PREFIX = 'SESSIONFLOW_CREDENTIAL_';

class EnvCredentials implements CredentialProvider {
  constructor(private readonly env: Record<string, string | undefined>) {}

  get(name: string): Credential | undefined {
    const base = `${PREFIX}${credentialEnvName(name)}_`;
    const v = (field: string): string | undefined => {
      const value = this.env[base + field];
      return value === undefined || value === '' ? undefined : value;
    };
    const user = v('USER');
    const password = v('PASSWORD');
    if (user !== undefined && password !== undefined) return { type: 'basic', user, password };
    const clientId = v('CLIENT_ID');
    const clientSecret = v('CLIENT_SECRET');
    if (clientId !== undefined && clientSecret !== undefined) return { type: 'oauth2', clientId, clientSecret };
    const cert = v('CERT');
    const key = v('KEY');
    if (cert !== undefined && key !== undefined) return { type: 'client-certificate', certPath: cert, keyPath: key };
    return undefined;
  }
}

function describeShape(): string {
  return 'expected {user, password}, {clientId, clientSecret} or {cert, key}';
}

function parseEntry(file: string, name: string, raw: unknown): Credential {
  const where = `credentials file ${file}: credential "${name}"`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CredentialError(`${where} must be a map; ${describeShape()}`);
  }
  const entry = raw as Record<string, unknown>;
  const str = (field: string): string => {
    const value = entry[field];
    if (value === undefined || value === null) throw new CredentialError(`${where}: field "${field}" is missing`);
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new CredentialError(`${where}: field "${field}" must be a string`);
    }
    const s = String(value);
    if (s === '') throw new CredentialError(`${where}: field "${field}" is empty`);
    return s;
  };
  const known = ['user', 'password', 'clientId', 'clientSecret', 'cert', 'key', 'type'];
  for (const field of Object.keys(entry)) {
    if (!known.includes(field)) {
      throw new CredentialError(`${where}: unknown field "${field}"; ${describeShape()}`);
    }
  }
  if ('user' in entry || 'password' in entry) {
    return { type: 'basic', user: str('user'), password: str('password') };
  }
  if ('clientId' in entry || 'clientSecret' in entry) {
    return { type: 'oauth2', clientId: str('clientId'), clientSecret: str('clientSecret') };
  }
  if ('cert' in entry || 'key' in entry) {
    const base = dirname(file);
    return { type: 'client-certificate', certPath: resolve(base, str('cert')), keyPath: resolve(base, str('key')) };
  }
  throw new CredentialError(`${where} has no credential fields; ${describeShape()}`);
}

async function loadFile(file: string): Promise<Map<string, Credential>> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CredentialError(
      code === 'ENOENT' ? `credentials file ${file} does not exist` : `credentials file ${file} cannot be read (${code ?? 'error'})`,
    );
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new CredentialError(
      `credentials file ${file} is readable by other users (mode ${octal}); run: chmod 600 ${file}`,
      'SF_CREDENTIALS_PERMISSIONS',
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CredentialError(`credentials file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let data: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    data = parseYaml(text);
  } catch (e) {
    // The parser's message may quote the offending line, which could hold a secret: keep only the position.
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new CredentialError(
      `credentials file ${file} is not valid YAML or JSON${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`,
    );
  }
  const out = new Map<string, Credential>();
  if (data === null || data === undefined) return out;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new CredentialError(`credentials file ${file} must be a map of credential name → fields`);
  }
  for (const [name, raw] of Object.entries(data as Record<string, unknown>)) out.set(name, parseEntry(file, name, raw));
  return out;
}

/**
 * Loads credentials from the environment and optionally a file (file entries win).
 * Throws CredentialError for an unsafe or malformed file.
 */
export async function loadCredentials(options: {
  env?: Record<string, string | undefined>;
  file?: string;
}): Promise<CredentialProvider> {
  const envProvider = new EnvCredentials(options.env ?? process.env);
  const fileEntries = options.file ? await loadFile(resolve(options.file)) : new Map<string, Credential>();
  return {
    get(name: string): Credential | undefined {
      return fileEntries.get(name) ?? envProvider.get(name);
    },
  };
}
