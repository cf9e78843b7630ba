/** Starting points for "Sessionflow: New Flow". Each one is valid and free of session warnings. */

export interface FlowTemplate {
  label: string;
  description: string;
  render(id: string): string;
}

export const FLOW_TEMPLATES: FlowTemplate[] = [
  {
    label: 'HTTP call with a session per exchange',
    description: 'one backend, basic auth, several calls sharing one login',
    render: (id) => `flow: ${id}
formatVersion: 2
description: Reads an order and posts its status; both calls share one backend session.

runtime:
  sessionHandling: onExchange   # one cookie jar per exchange: one login for both calls
  log: info

sender:
  adapter: http
  path: /${id}

credentials:
  backend-user: { type: basic }

receivers:
  backend:
    adapter: http
    address: https://backend.example.com/api
    auth: { type: basic, credential: backend-user }

steps:
  - id: read-order
    call: backend
    method: GET
    path: orders/\${header.orderId}
  - id: post-status
    call: backend
    method: POST
    path: status
`,
  },
  {
    label: 'CSRF-protected writes in parallel',
    description: 'priming call before a parallel split, so all items share one session and token',
    render: (id) => `flow: ${id}
formatVersion: 2
description: Splits the message and posts each item to a CSRF-protected backend.

runtime:
  sessionHandling: onExchange
  log: debug                    # debug: the run log shows session cookie hashes

sender:
  adapter: http
  path: /${id}

credentials:
  backend-user: { type: basic }

receivers:
  backend:
    adapter: http
    address: https://backend.example.com/api/items
    auth: { type: basic, credential: backend-user }
    csrf: true

steps:
  - id: prime-session           # opens the session and fetches the CSRF token once
    send: backend
    method: GET
    headers: { X-CSRF-Token: Fetch }
  - id: items
    split:
      path: $.items
      parallel: true
      steps:
        - id: post-item
          call: backend
          method: POST
`,
  },
  {
    label: 'Stateless, no sessions',
    description: 'every call authenticates; for backends that must see each user separately',
    render: (id) => `flow: ${id}
formatVersion: 2
description: One call per exchange; no cookies are kept.

runtime:
  sessionHandling: none

sender:
  adapter: http
  path: /${id}

credentials:
  backend-user: { type: basic }

receivers:
  backend:
    adapter: http
    address: https://backend.example.com/api/report
    auth: { type: basic, credential: backend-user }

steps:
  - id: report
    call: backend
    method: POST
`,
  },
];

/** Flow ids: lowercase letters, digits and '-'. Returns an error message or undefined. */
export function validateFlowId(id: string): string | undefined {
  if (id.length === 0) return 'The flow id must not be empty';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) return 'Use lowercase letters, digits and "-" (starting with a letter or digit), e.g. orders-to-erp';
  return undefined;
}
