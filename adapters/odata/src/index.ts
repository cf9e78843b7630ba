/**
 * The built-in OData receiver adapter (OData V2 JSON verbose and OData V4). Written only
 * against `@sessionflow/sdk`'s public API, exactly as a third-party adapter would be: sessions,
 * credentials and (with the receiver's `csrf: true`) CSRF tokens are the business of
 * `context.http`; this package shapes OData requests and reads the answers.
 *
 * The protocol helpers and the operation engine are exported for other adapters that speak
 * OData (the odc and successfactors adapters depend on this package).
 */
import { configWithDefaults, defineAdapter, receiverAddressUrl } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import { executeOData, odataConfigProperties, readODataConfig } from './operations.js';

export * from './protocol.js';
export {
  executeOData,
  odataConfigProperties,
  readODataConfig,
  OPERATIONS,
  type ODataCallOptions,
  type ODataOperation,
  type ODataOperationConfig,
  type PagingMode,
} from './operations.js';

export const configSchema = {
  type: 'object',
  title: 'OData receiver settings',
  description: 'The receiver address is the service root, e.g. https://host/odata/v2/ or https://host/sap/opu/odata/sap/ZORDERS_SRV/.',
  additionalProperties: false,
  properties: odataConfigProperties(),
} as const;

/** The service root from the receiver address: always ends with '/', keeps the address's query (e.g. sap-client). */
export function serviceRootFromAddress(receiverName: string, address: string): URL {
  const url = receiverAddressUrl(address, { receiver: receiverName });
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver } = context;
  const version = receiver.variant === 'v4' ? 'v4' : 'v2';
  const config = readODataConfig(configWithDefaults(adapter, receiver.config ?? {}));
  return executeOData(message, context, { version, serviceRoot: serviceRootFromAddress(receiver.name, receiver.address), config });
}

const AUTH = [
  { type: 'none' as const },
  { type: 'basic' as const },
  {
    type: 'client-certificate' as const,
    proxies: ['internet' as const],
    note: 'a client certificate cannot be presented through an on-premise connector (the TLS session ends at the connector)',
  },
  { type: 'oauth2-client-credentials' as const, proxies: ['internet' as const], note: 'the token endpoint must be reachable over the internet' },
  { type: 'principal-propagation' as const, proxies: ['onPremise' as const], note: 'the user is propagated by the on-premise connector' },
];

export const adapter: AdapterDefinition = defineAdapter({
  id: 'odata',
  displayName: 'OData',
  version: '0.1.0',
  apiVersion: 1,
  description: 'OData V2 (JSON verbose) and V4 services: query with paging, read, create, update, merge, patch, delete and $batch with change sets.',
  defaultVariant: 'v2',
  variants: [
    {
      id: 'v2',
      displayName: 'OData V2',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: true,
      auth: AUTH,
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/json'], out: ['application/json'] },
      description: 'OData V2: JSON verbose ({"d": ...}), __next paging, MERGE, $batch.',
    },
    {
      id: 'v4',
      displayName: 'OData V4',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: true,
      auth: AUTH,
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/json'], out: ['application/json'] },
      description: 'OData V4: JSON ({"value": [...]}), @odata.nextLink paging, PATCH, $batch.',
    },
  ],
  configSchema,
  send,
});

export default adapter;
