/**
 * Credentials for local runs, kept in VS Code's SecretStorage (the OS keychain on desktop).
 *
 * A flow only declares credentials (`credentials: { erp-user: { type: basic } }`); their values
 * are asked for on the first run that needs them (password boxes for the secret parts),
 * stored under `sessionflow.credential/<name>` and never written to settings, files or logs.
 * "Sessionflow: Clear Stored Credentials" forgets every stored credential.
 */
import * as vscode from 'vscode';
import type { Credential } from '@sessionflow/sdk';
import { runtimeType, type CredentialNeed } from './flowCredentials.js';

export { credentialNeeds, type CredentialNeed } from './flowCredentials.js';

const KEY_PREFIX = 'sessionflow.credential/';
/** Index of stored names (SecretStorage cannot list its keys). Holds names only, no values. */
const INDEX_KEY = 'sessionflow.credentials.index';

function isCredential(value: unknown): value is Credential {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'basic':
      return typeof v.user === 'string' && typeof v.password === 'string';
    case 'oauth2':
      return typeof v.clientId === 'string' && typeof v.clientSecret === 'string';
    case 'client-certificate':
      return typeof v.certPath === 'string' && typeof v.keyPath === 'string';
    default:
      return false;
  }
}

export class CredentialStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(name: string): Promise<Credential | undefined> {
    const raw = await this.secrets.get(KEY_PREFIX + name);
    if (raw === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      return isCredential(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async store(name: string, credential: Credential): Promise<void> {
    await this.secrets.store(KEY_PREFIX + name, JSON.stringify(credential));
    const names = await this.names();
    if (!names.includes(name)) await this.secrets.store(INDEX_KEY, JSON.stringify([...names, name].sort()));
  }

  async names(): Promise<string[]> {
    const raw = await this.secrets.get(INDEX_KEY);
    if (raw === undefined) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Deletes every stored credential; returns how many were deleted. */
  async clear(): Promise<number> {
    const names = await this.names();
    for (const name of names) await this.secrets.delete(KEY_PREFIX + name);
    await this.secrets.delete(INDEX_KEY);
    return names.length;
  }

  /**
   * Returns a credential for every need, asking for the missing ones (and storing them).
   * Returns undefined when the user cancels a prompt.
   */
  async resolve(needs: CredentialNeed[]): Promise<Map<string, Credential> | undefined> {
    const out = new Map<string, Credential>();
    for (const need of needs) {
      const wanted = runtimeType(need.declaredType);
      const stored = await this.get(need.name);
      if (stored !== undefined && stored.type === wanted) {
        out.set(need.name, stored);
        continue;
      }
      const asked = await ask(need, wanted);
      if (asked === undefined) return undefined;
      await this.store(need.name, asked);
      out.set(need.name, asked);
    }
    return out;
  }
}

async function input(need: CredentialNeed, step: number, steps: number, prompt: string, password: boolean): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `Sessionflow credential "${need.name}" (${need.declaredType}) for ${need.receivers.join(', ')} (${step}/${steps})`,
    prompt: `${prompt} — stored in VS Code's secret storage, never in the flow or settings`,
    password,
    ignoreFocusOut: true,
    validateInput: (value) => (value.length === 0 ? `${prompt} must not be empty` : undefined),
  });
}

async function ask(need: CredentialNeed, type: Credential['type']): Promise<Credential | undefined> {
  switch (type) {
    case 'basic': {
      const user = await input(need, 1, 2, 'User', false);
      if (user === undefined) return undefined;
      const password = await input(need, 2, 2, `Password of ${user}`, true);
      if (password === undefined) return undefined;
      return { type, user, password };
    }
    case 'oauth2': {
      const clientId = await input(need, 1, 2, 'OAuth2 client id', false);
      if (clientId === undefined) return undefined;
      const clientSecret = await input(need, 2, 2, 'OAuth2 client secret', true);
      if (clientSecret === undefined) return undefined;
      return { type, clientId, clientSecret };
    }
    case 'client-certificate': {
      const certPath = await input(need, 1, 2, 'Path of the client certificate (PEM)', false);
      if (certPath === undefined) return undefined;
      const keyPath = await input(need, 2, 2, 'Path of the private key (PEM)', false);
      if (keyPath === undefined) return undefined;
      return { type, certPath, keyPath };
    }
  }
}
