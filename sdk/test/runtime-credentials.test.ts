import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialError, credentialEnvName, loadCredentials } from '../src/runtime/index.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sf-cred-'));
}

test('credential names map to environment variable names', () => {
  assert.equal(credentialEnvName('erp-user'), 'ERP_USER');
  assert.equal(credentialEnvName('s4.oauth'), 'S4_OAUTH');
  assert.equal(credentialEnvName('Mixed Case_1'), 'MIXED_CASE_1');
});

test('loadCredentials reads basic, oauth2 and certificate credentials from the environment', async () => {
  const creds = await loadCredentials({
    env: {
      SESSIONFLOW_CREDENTIAL_ERP_USER_USER: 'alice',
      SESSIONFLOW_CREDENTIAL_ERP_USER_PASSWORD: 'alice-pw',
      SESSIONFLOW_CREDENTIAL_S4_OAUTH_CLIENT_ID: 'cid',
      SESSIONFLOW_CREDENTIAL_S4_OAUTH_CLIENT_SECRET: 'csecret',
      SESSIONFLOW_CREDENTIAL_MTLS_CERT: '/c.pem',
      SESSIONFLOW_CREDENTIAL_MTLS_KEY: '/k.pem',
      SESSIONFLOW_CREDENTIAL_HALF_USER: 'only-user',
    },
  });
  assert.deepEqual(creds.get('erp-user'), { type: 'basic', user: 'alice', password: 'alice-pw' });
  assert.deepEqual(creds.get('s4.oauth'), { type: 'oauth2', clientId: 'cid', clientSecret: 'csecret' });
  assert.deepEqual(creds.get('mtls'), { type: 'client-certificate', certPath: '/c.pem', keyPath: '/k.pem' });
  assert.equal(creds.get('half'), undefined, 'a user without a password is no credential');
  assert.equal(creds.get('unknown'), undefined);
});

test('a credentials file (YAML or JSON) overrides the environment', async () => {
  const dir = await tempDir();
  try {
    const yamlFile = join(dir, 'creds.yaml');
    await writeFile(yamlFile, 'erp-user:\n  user: bob\n  password: bob-pw\nmtls:\n  cert: certs/c.pem\n  key: certs/k.pem\n', { mode: 0o600 });
    const creds = await loadCredentials({
      env: { SESSIONFLOW_CREDENTIAL_ERP_USER_USER: 'alice', SESSIONFLOW_CREDENTIAL_ERP_USER_PASSWORD: 'alice-pw', SESSIONFLOW_CREDENTIAL_OTHER_USER: 'x', SESSIONFLOW_CREDENTIAL_OTHER_PASSWORD: 'y' },
      file: yamlFile,
    });
    assert.deepEqual(creds.get('erp-user'), { type: 'basic', user: 'bob', password: 'bob-pw' });
    assert.deepEqual(creds.get('other'), { type: 'basic', user: 'x', password: 'y' }, 'env still used for names not in the file');
    assert.deepEqual(creds.get('mtls'), { type: 'client-certificate', certPath: join(dir, 'certs/c.pem'), keyPath: join(dir, 'certs/k.pem') });

    const jsonFile = join(dir, 'creds.json');
    await writeFile(jsonFile, JSON.stringify({ api: { clientId: 'id1', clientSecret: 's1' } }), { mode: 0o600 });
    const fromJson = await loadCredentials({ env: {}, file: jsonFile });
    assert.deepEqual(fromJson.get('api'), { type: 'oauth2', clientId: 'id1', clientSecret: 's1' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a credentials file readable by other users is refused with the chmod fix', async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX permissions only');
  const dir = await tempDir();
  try {
    const file = join(dir, 'creds.yaml');
    await writeFile(file, 'erp-user: { user: alice, password: alice-pw }\n');
    await chmod(file, 0o644);
    await assert.rejects(loadCredentials({ env: {}, file }), (e: unknown) => {
      assert.ok(e instanceof CredentialError);
      assert.equal(e.message, `credentials file ${file} is readable by other users (mode 0644); run: chmod 600 ${file}`);
      assert.ok(!e.message.includes('alice-pw'));
      return true;
    });
    await chmod(file, 0o620); // group-writable is refused too
    await assert.rejects(loadCredentials({ env: {}, file }), /mode 0620\); run: chmod 600/);
    await chmod(file, 0o600);
    const ok = await loadCredentials({ env: {}, file });
    assert.equal(ok.get('erp-user')?.type, 'basic');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad credential entries name the file, the credential and the field — never the secret', async () => {
  const dir = await tempDir();
  try {
    const cases: [string, RegExp][] = [
      ['erp-user: { user: alice }\n', /credential "erp-user": field "password" is missing/],
      ['erp-user: { user: alice, password: [1, 2] }\n', /credential "erp-user": field "password" must be a string/],
      ['erp-user: { user: alice, pasword: secret-typo }\n', /credential "erp-user": unknown field "pasword"/],
      ['erp-user: just-a-string-secret\n', /credential "erp-user" must be a map/],
      ['api: { clientId: id1 }\n', /credential "api": field "clientSecret" is missing/],
      ['- a\n- b\n', /must be a map of credential name/],
      ['erp-user: { user: alice, password: "unterminated-secret\n', /is not valid YAML or JSON/],
    ];
    for (const [i, [text, expected]] of cases.entries()) {
      const file = join(dir, `c${i}.yaml`);
      await writeFile(file, text, { mode: 0o600 });
      await assert.rejects(loadCredentials({ env: {}, file }), (e: unknown) => {
        assert.ok(e instanceof CredentialError, `case ${i}`);
        assert.match(e.message, expected);
        assert.ok(e.message.includes(file), `case ${i} names the file`);
        assert.ok(!/secret/.test(e.message), `case ${i} leaks no secret: ${e.message}`);
        return true;
      });
    }
    await assert.rejects(loadCredentials({ env: {}, file: join(dir, 'missing.yaml') }), /does not exist/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
