import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, type Dispatcher } from 'undici';
import { createSessionClient, HttpClientError, SessionJar, shortHash } from '../src/index.js';
import type { SessionHttpClient } from '../src/index.js';
import {
  createRecorder,
  createReplayer,
  loadRecording,
  redactRequestHeader,
  redactValue,
  ReplayError,
  startTestBackend,
  type Recording,
  type TestBackend,
} from '../src/testing/index.js';

const dec = new TextDecoder();

/** Learns the cookie values the backend sets (to prove they never reach the recording). */
function capture(into: string[]) {
  return (dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] => (opts, handler) => {
    const h = handler as Dispatcher.DispatchHandler;
    return dispatch(opts, {
      onRequestStart: (c, x) => h.onRequestStart?.(c, x),
      onResponseStart: (c, status, headers, msg) => {
        const sc = (headers as Record<string, string | string[] | undefined>)['set-cookie'];
        for (const v of sc === undefined ? [] : Array.isArray(sc) ? sc : [sc]) into.push(v.split(';')[0]!.split('=').slice(1).join('='));
        const t = (headers as Record<string, string | undefined>)['x-csrf-token'];
        if (t !== undefined && t !== 'Required') into.push(t);
        return h.onResponseStart?.(c, status, headers, msg);
      },
      onResponseData: (c, d) => h.onResponseData?.(c, d),
      onResponseEnd: (c, t) => h.onResponseEnd?.(c, t),
      onResponseError: (c, e) => h.onResponseError?.(c, e),
    });
  };
}

/** The same sequence of calls, against whatever dispatcher: GET, POST (CSRF-protected), GET. */
async function scenario(client: SessionHttpClient, base: string): Promise<{ status: number; body: string }[]> {
  const out: { status: number; body: string }[] = [];
  for (const [method, path, body] of [
    ['GET', '/api/items?top=2', undefined],
    ['POST', '/api/items', '{"name":"a"}'],
    ['GET', '/api/items/1', undefined],
  ] as const) {
    const res = await client.request({ method, url: `${base}${path}`, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });
    out.push({ status: res.status, body: dec.decode(res.body) });
  }
  return out;
}

describe('record/replay', () => {
  let backend: TestBackend;
  let dir: string;
  const file = () => join(dir, 'recordings', 'items.json');
  const seenSecrets: string[] = [];
  let recorded: { status: number; body: string }[] = [];
  const password = 'rec-pw-Secret!';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sf-record-'));
    backend = await startTestBackend({ users: { alice: password } });
    const agent = new Agent();
    const recorder = createRecorder({ dispatcher: agent.compose(capture(seenSecrets)) });
    const client = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: { type: 'basic', user: 'alice', password }, csrf: true, dispatcher: recorder.dispatcher });
    recorded = await scenario(client, backend.url);
    recorder.save(file());
    await recorder.close();
    await agent.close();
    await backend.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records every request/response pair, with secrets reduced to hashes', () => {
    assert.deepEqual(recorded.map((r) => r.status), [200, 200, 200]);
    const text = readFileSync(file(), 'utf8');
    const rec = JSON.parse(text) as Recording;
    assert.equal(rec.format, 'sessionflow-recording');
    // GET (authenticates), token fetch, POST, GET.
    assert.deepEqual(rec.exchanges.map((e) => `${e.request.method} ${e.request.path}`), ['GET /api/items?top=2', 'GET /api/items', 'POST /api/items', 'GET /api/items/1']);
    const first = rec.exchanges[0]!;
    assert.match(first.request.headers.authorization!, /^Basic sha256:[0-9a-f]{12}$/);
    assert.match(String((first.response!.headers['set-cookie'] as string[])[0]), /^JSESSIONID=sha256:[0-9a-f]{12}; Path=\/; HttpOnly$/);
    assert.match(rec.exchanges[1]!.request.headers.cookie!, /^JSESSIONID=sha256:[0-9a-f]{12}$/);
    assert.equal(rec.exchanges[1]!.request.headers['x-csrf-token'], 'Fetch');
    assert.match(String(rec.exchanges[1]!.response!.headers['x-csrf-token']), /^sha256:[0-9a-f]{12}$/);
    assert.equal(rec.exchanges[2]!.request.body, '{"name":"a"}');
    assert.equal(first.response!.headers.date, undefined, 'volatile headers are dropped');
    // No secret in clear: password, basic token, cookie values, CSRF token.
    assert.ok(seenSecrets.length >= 2);
    for (const secret of [password, Buffer.from(`alice:${password}`).toString('base64'), ...seenSecrets]) {
      assert.ok(!text.includes(secret), 'a secret value reached the recording');
    }
    // The cookie hash is the same short hash the backend reports for the session.
    const session = (JSON.parse(first.response!.body) as { session: string }).session;
    assert.equal(rec.exchanges[1]!.request.headers.cookie, `JSESSIONID=sha256:${session}`);
  });

  it('replays the recording deterministically without a network, twice', async () => {
    for (let round = 0; round < 2; round++) {
      const replayer = createReplayer(file());
      const client = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: { type: 'basic', user: 'alice', password }, csrf: true, dispatcher: replayer.dispatcher });
      // Another origin (the recording's port is gone): replay matches path and query, not the origin.
      const replayed = await scenario(client, 'http://127.0.0.1:9');
      assert.deepEqual(replayed, recorded);
      replayer.assertAllUsed();
      assert.deepEqual(replayer.unused(), []);
    }
  });

  it('fails clearly on an unexpected request and lists it in assertAllUsed()', async () => {
    const replayer = createReplayer(file());
    const client = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: { type: 'basic', user: 'alice', password }, dispatcher: replayer.dispatcher });
    await assert.rejects(client.request({ method: 'DELETE', url: 'http://127.0.0.1:9/api/items/7' }), (err: unknown) => {
      assert.ok(err instanceof HttpClientError);
      const cause = err.cause as ReplayError;
      assert.ok(cause instanceof ReplayError);
      assert.equal(cause.code, 'SF_REPLAY_UNEXPECTED');
      assert.match(cause.message, /unexpected request DELETE \/api\/items\/7 \(with Authorization, no Cookie\)/);
      assert.ok(!cause.message.includes(password));
      return true;
    });
    assert.equal(replayer.unexpected().length, 1);
    assert.throws(() => replayer.assertAllUsed(), (err: unknown) => {
      assert.ok(err instanceof ReplayError);
      assert.match(err.message, /1 unexpected request\(s\).*4 recorded exchange\(s\) never requested/);
      return true;
    });
  });

  it('tells which header differs (other credentials than recorded)', async () => {
    const replayer = createReplayer(file());
    const client = createSessionClient({ receiver: 'erp', jar: new SessionJar(), auth: { type: 'basic', user: 'alice', password: 'other' }, dispatcher: replayer.dispatcher });
    await assert.rejects(client.request({ method: 'GET', url: 'http://127.0.0.1:9/api/items?top=2' }), (err: unknown) => {
      const cause = (err as Error).cause as ReplayError;
      assert.match(cause.message, /recorded #0 differs in authorization: Basic sha256:[0-9a-f]{12}/);
      return true;
    });
  });

  it('replays transport errors with their code, and honours ordered mode', async () => {
    const rec: Recording = {
      format: 'sessionflow-recording',
      version: 1,
      exchanges: [
        { request: { method: 'GET', path: '/a', origin: 'http://x', headers: {} }, response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'A', bodyEncoding: 'utf8' } },
        { request: { method: 'GET', path: '/b', origin: 'http://x', headers: {} }, error: { code: 'ECONNRESET', message: 'socket hang up' } },
      ],
    };
    const replayer = createReplayer(rec, { ordered: true });
    const client = createSessionClient({ receiver: 'r', jar: null, auth: { type: 'none' }, dispatcher: replayer.dispatcher });
    await assert.rejects(client.request({ method: 'GET', url: 'http://h/b' }), (err: unknown) => {
      assert.match(((err as Error).cause as Error).message, /next recorded request is #0: GET \/a/);
      return true;
    });
    assert.equal(dec.decode((await client.request({ method: 'GET', url: 'http://h/a' })).body), 'A');
    await assert.rejects(client.request({ method: 'GET', url: 'http://h/b' }), (err: unknown) => {
      assert.ok(err instanceof HttpClientError);
      assert.equal(err.code, 'SF_HTTP_RESET');
      return true;
    });
  });

  it('records transport errors too', async () => {
    const b = await startTestBackend();
    const recorder = createRecorder();
    try {
      const client = createSessionClient({ receiver: 'r', jar: null, auth: { type: 'none' }, dispatcher: recorder.dispatcher });
      await assert.rejects(client.request({ method: 'GET', url: `${b.url}/_fault/reset` }));
      const [ex] = recorder.exchanges();
      assert.equal(ex?.response, undefined);
      assert.match(ex!.error!.code, /^(ECONNRESET|UND_ERR_SOCKET)$/);
    } finally {
      await recorder.close();
      await b.close();
    }
  });

  it('redaction is idempotent and keeps names and schemes', () => {
    const h = redactValue('abc');
    assert.equal(h, `sha256:${shortHash('abc')}`);
    assert.equal(redactValue(h), h);
    assert.equal(redactRequestHeader('cookie', 'A=1; B=2'), `A=${redactValue('1')}; B=${redactValue('2')}`);
    assert.equal(redactRequestHeader('authorization', 'Bearer tok'), `Bearer ${redactValue('tok')}`);
    assert.equal(redactRequestHeader('x-csrf-token', 'Fetch'), 'Fetch');
    assert.equal(redactRequestHeader('accept', 'text/plain'), 'text/plain');
  });

  it('refuses a file that is not a recording, naming the file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"other"}');
    assert.throws(() => loadRecording(bad), (err: unknown) => err instanceof ReplayError && err.code === 'SF_REPLAY_FILE' && err.message.includes(bad));
    writeFileSync(bad, '{nope');
    assert.throws(() => loadRecording(bad), /is not valid JSON/);
    assert.throws(() => loadRecording(join(dir, 'missing.json')), /cannot read recording .*ENOENT/);
    assert.throws(() => createReplayer({ format: 'sessionflow-recording', version: 1, exchanges: [{ request: { method: 'GET' } }] } as unknown as Recording), /exchanges\[0\] needs request/);
  });
});
