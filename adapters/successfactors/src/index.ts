/**
 * The built-in SuccessFactors receiver adapter, written only against `@sessionflow/sdk`'s
 * public API (plus the OData helpers of `@sessionflow/adapter-odata`):
 *
 * - `odata-v2`: the SuccessFactors OData V2 API; server-side paging (`__next` with a skiptoken
 *   bound to the session), so session reuse is required.
 * - `soap`: the SFAPI; `login` opens a session the later calls run in (required session reuse,
 *   10-minute idle expiry handled by logging in again once).
 * - `rest`, `odata-v4`: OAuth2 bearer token per call, no session.
 */
import { AdapterError, configWithDefaults, defineAdapter } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import { executeOData, odataConfigProperties, readODataConfig, serviceRootFromAddress } from '@sessionflow/adapter-odata';
import { sendRest } from './rest.js';
import { sendSfapi } from './sfapi.js';

export { parseSoapFault, sfapiEnvelope, operationName, SFAPI_NS, type SoapFaultInfo } from './sfapi.js';

export const configSchema = {
  type: 'object',
  title: 'SuccessFactors receiver settings',
  description:
    'Variant odata-v2 / odata-v4: the address is the OData service root (e.g. https://api4.successfactors.com/odata/v2/) and the OData fields apply. ' +
    'Variant soap: the address is the SFAPI endpoint (…/sfapi/v1/soap), companyId is required. Variant rest: the address is the API base; the step gives method, path and query.',
  additionalProperties: false,
  properties: {
    ...odataConfigProperties({ paging: 'server', csrf: false }),
    companyId: {
      title: 'Company ID (SFAPI)',
      description: 'The SuccessFactors company id sent in the SFAPI login (variant soap).',
      type: 'string',
      minLength: 1,
    },
  },
} as const;

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver } = context;
  const raw = configWithDefaults(adapter, receiver.config ?? {});
  switch (receiver.variant) {
    case 'odata-v2':
    case 'odata-v4':
      return executeOData(message, context, {
        version: receiver.variant === 'odata-v2' ? 'v2' : 'v4',
        serviceRoot: serviceRootFromAddress(receiver.name, receiver.address),
        config: readODataConfig(raw, { paging: 'server', csrf: false }),
      });
    case 'soap':
      return sendSfapi(message, context, typeof raw.companyId === 'string' ? raw.companyId : undefined);
    case 'rest':
      return sendRest(message, context);
    default:
      throw new AdapterError('SF_ADAPTER_VARIANT', `receiver "${receiver.name}": successfactors has no variant "${receiver.variant}" (odata-v2, soap, rest, odata-v4)`);
  }
}

const SAML = { type: 'oauth2-saml-bearer' as const, note: 'needs the integration platform; cannot run locally' };
const CLIENT_CREDENTIALS = { type: 'oauth2-client-credentials' as const, proxies: ['internet' as const], note: 'the token endpoint must be reachable over the internet' };

export const adapter: AdapterDefinition = defineAdapter({
  id: 'successfactors',
  displayName: 'SuccessFactors',
  version: '0.1.0',
  apiVersion: 1,
  description: 'SAP SuccessFactors: OData V2 (session paging), SFAPI SOAP (login session), REST and OData V4 (OAuth2 bearer).',
  defaultVariant: 'odata-v2',
  variants: [
    {
      id: 'odata-v2',
      displayName: 'OData V2',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'required',
      csrf: true,
      auth: [{ type: 'basic' }, SAML],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/json'], out: ['application/json'] },
      description: 'Server-side paging via __next: the skiptoken is only valid in the session that started the query, so calls must share a session.',
    },
    {
      id: 'soap',
      displayName: 'SFAPI (SOAP)',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'required',
      csrf: false,
      auth: [{ type: 'basic' }, SAML],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/xml', 'text/xml'], out: ['text/xml'] },
      description: 'SFAPI: login opens a session (10-minute idle expiry); the adapter logs in again once on INVALID_SESSION.',
    },
    {
      id: 'rest',
      displayName: 'REST',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'unsupported',
      csrf: false,
      auth: [CLIENT_CREDENTIALS],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/json'], out: ['application/json'] },
      description: 'A bearer token per call; cookies the API sets are never sent back.',
    },
    {
      id: 'odata-v4',
      displayName: 'OData V4',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'unsupported',
      csrf: false,
      auth: [CLIENT_CREDENTIALS, SAML],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/json'], out: ['application/json'] },
      description: 'OData V4 with a bearer token per call; @odata.nextLink paging; no session.',
    },
  ],
  configSchema,
  send,
});

export default adapter;
