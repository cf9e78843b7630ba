/** Which credentials a flow needs for a local run (no VS Code API: unit-tested in node). */
import type { Credential, FlowDocument } from '@sessionflow/sdk';

export interface CredentialNeed {
  name: string;
  /** Declared type (`basic`, `oauth2-client-credentials`, `oauth2-saml-bearer`, `client-certificate`). */
  declaredType: string;
  /** Receivers that use it. */
  receivers: string[];
}

/** Declared credentials that at least one receiver references, with their declared type. */
export function credentialNeeds(doc: FlowDocument): CredentialNeed[] {
  const byName = new Map<string, CredentialNeed>();
  for (const decl of doc.flow.credentials) {
    byName.set(decl.name, { name: decl.name, declaredType: decl.type?.value ?? 'basic', receivers: [] });
  }
  for (const receiver of doc.flow.receivers) {
    const ref = receiver.auth?.credential?.value;
    if (ref === undefined) continue;
    byName.get(ref)?.receivers.push(receiver.name);
  }
  return [...byName.values()].filter((n) => n.receivers.length > 0);
}

export function runtimeType(declaredType: string): Credential['type'] {
  if (declaredType.startsWith('oauth2')) return 'oauth2';
  if (declaredType === 'client-certificate') return 'client-certificate';
  return 'basic';
}
