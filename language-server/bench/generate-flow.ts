/**
 * Generator of realistic flows for the benchmarks: several receivers of different adapters
 * (http, soap, odata), every step kind with nesting (split, loop, route, multicast, process),
 * unique ids, headers, query parameters and bodies with expressions. The result is a plain JS
 * object (serialise it to YAML or JSON); it validates against the flow schema.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Step = { [key: string]: Json };

const RECEIVERS = {
  erp: 'erp',
  crm: 'crm',
  billing: 'billing-soap',
  notify: 'notify-soap',
  gateway: 'gateway',
  s4: 's4',
  audit: 'audit',
} as const;

/** Builds steps with unique ids and counts every step object it makes. */
class StepFactory {
  count = 0;
  private seq = 0;

  private id(prefix: string): string {
    this.seq++;
    return `${prefix}-${this.seq}`;
  }

  private step(prefix: string, body: Step): Step {
    this.count++;
    return { id: this.id(prefix), ...body };
  }

  call(receiver: string, i: number): Step {
    const isSoap = receiver === RECEIVERS.billing || receiver === RECEIVERS.notify;
    const isOData = receiver === RECEIVERS.gateway || receiver === RECEIVERS.s4;
    if (isSoap) {
      return this.step('call', {
        call: receiver,
        method: 'POST',
        headers: { 'X-Request-Id': '${header.X-Request-Id}', SOAPAction: 'urn:example:orders/CreateInvoice' },
        body: '<Order xmlns="urn:example:orders"><Id>${property.orderId}</Id><Line>${property.line}</Line></Order>',
      });
    }
    const headers = { 'X-Request-Id': '${header.X-Request-Id}', 'X-Correlation-Id': '${property.correlationId}', Accept: 'application/json' };
    const method = (['GET', 'POST', 'PATCH', 'PUT'] as const)[i % 4] ?? 'GET';
    if (isOData) {
      return this.step('call', {
        call: receiver,
        method,
        path: "A_SalesOrder('${property.orderId}')/to_Item",
        headers,
        query: { $select: 'SalesOrder,SalesOrderItem,Material', $top: 50, 'sap-client': '100' },
      });
    }
    return this.step('call', {
      call: receiver,
      method,
      path: '/orders/${property.orderId}/items/${body.items[0].id}',
      headers,
      query: { expand: 'lines', tenant: '${header.tenant}' },
    });
  }

  send(receiver: string, csrfFetch = false): Step {
    return this.step('send', {
      send: receiver,
      method: csrfFetch ? 'GET' : 'POST',
      headers: csrfFetch ? { 'X-CSRF-Token': 'Fetch' } : { 'X-Request-Id': '${header.X-Request-Id}', 'Content-Type': 'application/json' },
    });
  }

  set(i: number): Step {
    return this.step('set', {
      set: {
        headers: { 'X-Request-Id': '${header.X-Request-Id}', 'X-Batch': `batch-${i}`, 'X-Tenant': '${env.TENANT}' },
        properties: { orderId: '${body.orderId}', line: i, correlationId: '${header.X-Correlation-Id}', priority: i % 2 === 0 },
      },
    });
  }

  script(): Step {
    return this.step('script', { script: './scripts/map-order.js' });
  }

  process(name: string): Step {
    return this.step('process', { process: name });
  }

  split(parallel: boolean, steps: () => Step[]): Step {
    const own = this.step('split', { name: 'Post every item' });
    own.split = { path: '$.items', parallel, ...(parallel ? { maxConcurrency: 4 } : {}), steps: steps() };
    return own;
  }

  loop(steps: () => Step[]): Step {
    const own = this.step('loop', { name: 'Read all pages' });
    own.loop = { while: "${property.hasMore} == 'true' and ${property.page} < 10", max: 20, steps: steps() };
    return own;
  }

  route(when: () => Step[], otherwise: () => Step[]): Step {
    const own = this.step('route', { name: 'By message type' });
    own.route = { when: [{ if: "${header.type} == 'order'", steps: when() }], otherwise: otherwise() };
    return own;
  }

  multicast(parallel: boolean, branches: (() => Step[])[]): Step {
    const own = this.step('multicast', { name: 'Invoice and notify' });
    own.multicast = { parallel, branches: branches.map((b) => b()) };
    return own;
  }
}

/**
 * One block of 16 nested steps using every step kind. `i` varies methods, receivers and
 * parallelism so blocks differ.
 */
function block(f: StepFactory, i: number): Step[] {
  const httpTarget = i % 2 === 0 ? RECEIVERS.erp : RECEIVERS.crm;
  const odataTarget = i % 3 === 0 ? RECEIVERS.s4 : RECEIVERS.gateway;
  const soapTarget = i % 2 === 0 ? RECEIVERS.billing : RECEIVERS.notify;
  return [
    f.set(i),
    f.call(httpTarget, i),
    f.split(i % 4 === 1, () => [
      f.call(odataTarget, i + 1),
      f.set(i + 1),
      f.route(
        () => [f.call(RECEIVERS.s4, i + 2)],
        () => [f.send(RECEIVERS.audit)],
      ),
    ]),
    f.loop(() => [f.call(RECEIVERS.gateway, i), f.set(i + 2)]),
    f.multicast(i % 2 === 0, [() => [f.call(soapTarget, i)], () => [f.send(RECEIVERS.audit), f.script()]]),
    f.process(i % 2 === 0 ? 'enrich' : 'archive'),
  ];
}
const BLOCK_STEPS = 16;

/** A realistic flow with exactly `totalSteps` step objects (main process + local processes, nested ones included). */
export function generateFlow(totalSteps: number): Record<string, Json> {
  const f = new StepFactory();
  const processes: Record<string, Json> = {
    enrich: { description: 'Reads the customer and adds it to the message.', steps: [f.set(0), f.call(RECEIVERS.crm, 0)] },
    archive: { description: 'Archives the message.', steps: [f.send(RECEIVERS.audit)] },
  };
  // Session priming: one call per session-capable origin before any parallel work.
  const steps: Step[] = [f.send(RECEIVERS.gateway, true), f.call(RECEIVERS.erp, 0), f.call(RECEIVERS.crm, 1), f.call(RECEIVERS.billing, 0), f.call(RECEIVERS.notify, 0), f.call(RECEIVERS.s4, 0)];
  let i = 0;
  while (totalSteps - f.count >= BLOCK_STEPS) steps.push(...block(f, i++));
  while (f.count < totalSteps) steps.push(f.count % 2 === 0 ? f.set(i++) : f.call(RECEIVERS.erp, i++));
  if (f.count !== totalSteps) throw new Error(`generator made ${f.count} steps, wanted ${totalSteps}`);
  return {
    flow: `bench-orders-${totalSteps}`,
    formatVersion: 2,
    description: `Generated benchmark flow with ${totalSteps} steps.`,
    runtime: { sessionHandling: 'onExchange', log: 'info' },
    sender: { adapter: 'http', path: '/bench/orders', csrf: true },
    credentials: {
      'erp-user': { type: 'basic' },
      'crm-user': { type: 'basic' },
      'soap-user': { type: 'basic' },
      'gw-user': { type: 'basic' },
      's4-oauth': { type: 'oauth2-client-credentials', description: 'S/4HANA Cloud communication user' },
    },
    receivers: {
      [RECEIVERS.erp]: {
        adapter: 'http',
        address: 'https://erp.example.com/api/orders',
        auth: { type: 'basic', credential: 'erp-user' },
        csrf: true,
        timeoutMs: 30000,
        logoff: { method: 'POST', path: '/api/logout' },
      },
      [RECEIVERS.crm]: {
        adapter: 'http',
        address: 'https://crm.example.com/v1/',
        auth: { type: 'basic', credential: 'crm-user' },
        stateful: false,
      },
      [RECEIVERS.billing]: {
        adapter: 'soap',
        variant: 'soap-1.1',
        address: 'https://billing.example.com/ws/billing',
        auth: { type: 'basic', credential: 'soap-user' },
        config: { soapAction: 'urn:example:orders/CreateInvoice', operation: 'CreateInvoice', operationNamespace: 'urn:example:orders', wrapBody: 'auto' },
      },
      [RECEIVERS.notify]: {
        adapter: 'soap',
        variant: 'soap-1.2',
        address: 'https://notify.example.com/ws/notify',
        auth: { type: 'none' },
        config: { responseMode: 'body' },
      },
      [RECEIVERS.gateway]: {
        adapter: 'odata',
        variant: 'v2',
        address: 'https://gw.example.com/sap/opu/odata/sap/API_SALES_ORDER_SRV/',
        auth: { type: 'basic', credential: 'gw-user' },
        csrf: true,
        config: { entitySet: 'A_SalesOrder', paging: 'client' },
      },
      [RECEIVERS.s4]: {
        adapter: 'odata',
        variant: 'v4',
        address: 'https://s4.example.com/sap/opu/odata4/sap/api_salesorder/srvd_a2x/sap/salesorder/0001/',
        auth: { type: 'oauth2-client-credentials', credential: 's4-oauth', tokenUrl: 'https://s4.example.com/oauth/token' },
      },
      [RECEIVERS.audit]: {
        adapter: 'http',
        address: 'https://audit.example.com/log',
        auth: { type: 'none' },
        session: 'none',
      },
    },
    processes,
    steps,
  };
}

