/**
 * The built-in SAP Gateway OData channel (ODC) receiver adapter. The receiver address is the
 * Gateway host; the service URL follows the SAP convention
 * `<address>/sap/opu/odata/<namespace>/<serviceName>[;v=<NNNN>]/?sap-client=<client>`, then
 * OData V2 operations run against it (the engine of `@sessionflow/adapter-odata`).
 * Written only against `@sessionflow/sdk` and `@sessionflow/adapter-odata`'s public API.
 */
import { AdapterError, configWithDefaults, defineAdapter, receiverAddressUrl } from '@sessionflow/sdk';
import type { AdapterContext, AdapterDefinition, AdapterResult, OutboundMessage } from '@sessionflow/sdk';
import { executeOData, odataConfigProperties, readODataConfig } from '@sessionflow/adapter-odata';

export const configSchema = {
  type: 'object',
  title: 'SAP Gateway OData channel settings',
  description: 'The receiver address is the Gateway host, e.g. https://gw.example.com:44300; the service URL is built from the fields below.',
  additionalProperties: false,
  required: ['serviceName'],
  properties: {
    client: {
      title: 'SAP client',
      description: 'Three-digit SAP client, sent as sap-client=NNN on every request (omitted when not set: the system default client).',
      type: 'string',
      pattern: '^[0-9]{3}$',
      examples: ['100', '800'],
    },
    namespace: {
      title: 'Service namespace',
      description: 'Namespace of the service: SAP for SAP services, or a customer namespace such as /ACME/ (slashes are dropped: /sap/opu/odata/ACME/...).',
      type: 'string',
      pattern: '^/?[A-Za-z0-9_]+/?$',
      default: 'SAP',
    },
    serviceName: {
      title: 'Service name',
      description: 'Technical service name as registered in /IWFND/MAINT_SERVICE, e.g. ZORDERS_SRV or API_SALES_ORDER_SRV.',
      type: 'string',
      pattern: '^[A-Za-z0-9_]+$',
    },
    serviceVersion: {
      title: 'Service version',
      description: 'Service version; 1 (the default) adds nothing, other versions add the matrix parameter ;v=NNNN (4 digits), e.g. 2 → ;v=0002.',
      type: 'integer',
      minimum: 1,
      maximum: 9999,
      default: 1,
    },
    ...odataConfigProperties({ paging: 'server', csrf: true }),
  },
} as const;

export interface OdcServiceConfig {
  client?: string;
  namespace?: string;
  serviceName: string;
  serviceVersion?: number;
}

/** The Gateway service root: `<address>/sap/opu/odata/<NS>/<SERVICE>[;v=NNNN]/[?sap-client=NNN]`. */
export function odcServiceUrl(receiverName: string, address: string, c: OdcServiceConfig): URL {
  const base = receiverAddressUrl(address, { receiver: receiverName });
  if (base.search !== '') {
    throw new AdapterError('SF_ODC_CONFIG', `receiver "${receiverName}": put the SAP client into config.client, not into the address query`);
  }
  if (!/^[A-Za-z0-9_]+$/.test(c.serviceName)) throw new AdapterError('SF_ODC_CONFIG', `receiver "${receiverName}": config.serviceName "${c.serviceName}" is not a technical service name`);
  const ns = (c.namespace ?? 'SAP').replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9_]+$/.test(ns)) throw new AdapterError('SF_ODC_CONFIG', `receiver "${receiverName}": config.namespace "${c.namespace ?? ''}" is not a namespace`);
  const version = c.serviceVersion ?? 1;
  if (!Number.isInteger(version) || version < 1 || version > 9999) throw new AdapterError('SF_ODC_CONFIG', `receiver "${receiverName}": config.serviceVersion must be 1 to 9999`);
  const matrix = version === 1 ? '' : `;v=${String(version).padStart(4, '0')}`;
  const url = new URL(base.href);
  url.hash = '';
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/sap/opu/odata/${ns}/${c.serviceName}${matrix}/`;
  if (c.client !== undefined) {
    if (!/^[0-9]{3}$/.test(c.client)) throw new AdapterError('SF_ODC_CONFIG', `receiver "${receiverName}": config.client "${c.client}" must be three digits`);
    url.search = `?sap-client=${c.client}`;
  }
  return url;
}

async function send(message: OutboundMessage, context: AdapterContext): Promise<AdapterResult> {
  const { receiver } = context;
  const raw = configWithDefaults(adapter, receiver.config ?? {});
  if (typeof raw.serviceName !== 'string' || raw.serviceName === '') {
    throw new AdapterError('SF_ODC_CONFIG', `receiver "${receiver.name}": config.serviceName is required (e.g. ZORDERS_SRV)`);
  }
  const serviceRoot = odcServiceUrl(receiver.name, receiver.address, {
    serviceName: raw.serviceName,
    ...(typeof raw.client === 'string' ? { client: raw.client } : {}),
    ...(typeof raw.namespace === 'string' ? { namespace: raw.namespace } : {}),
    ...(typeof raw.serviceVersion === 'number' ? { serviceVersion: raw.serviceVersion } : {}),
  });
  return executeOData(message, context, { version: 'v2', serviceRoot, config: readODataConfig(raw, { paging: 'server', csrf: true }) });
}

export const adapter: AdapterDefinition = defineAdapter({
  id: 'odc',
  displayName: 'SAP Gateway OData channel',
  version: '0.1.0',
  apiVersion: 1,
  description: 'OData V2 services of an SAP Gateway: the service URL is built from client, namespace, service name and version.',
  variants: [
    {
      id: 'odc',
      displayName: 'ODC',
      direction: 'receiver',
      stepKinds: ['call', 'send'],
      sessionReuse: 'supported',
      csrf: false,
      auth: [{ type: 'basic' }],
      parallelSafe: true,
      streaming: false,
      contentTypes: { in: ['application/json'], out: ['application/json'] },
      description: 'SAP Gateway OData V2 (/sap/opu/odata/...). Writes fetch their CSRF token from the service URL (config csrf); leave the receiver csrf flag off.',
    },
  ],
  configSchema,
  send,
});

export default adapter;
