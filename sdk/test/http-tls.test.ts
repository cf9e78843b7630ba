import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { closeCertificateAgents, createSessionClient, HttpClientError, SessionJar } from '../src/http/index.js';

// Throw-away test PKI (EC P-256, valid for 100 years), generated with openssl for this test only.
const CA_CERT = `-----BEGIN CERTIFICATE-----
MIIBkzCCATmgAwIBAgIUKZLbjQaijSTQTyoXe++tUJq1IG8wCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTc2Vzc2lvbmZsb3ctdGVzdC1jYTAgFw0yNjExMjEwNjIzNTha
GA8yMTI2MTAyODA2MjM1OFowHjEcMBoGA1UEAwwTc2Vzc2lvbmZsb3ctdGVzdC1j
YTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJQujiMmSosD91q4MdQjZ69S2Ma3
BHP09+WnABS5AP5xL7MnWT3GTlJPoNO4f+gDJ3wVkjEdX/MM+E/KghBiDjmjUzBR
MB0GA1UdDgQWBBTVLTdnMB3RwMmsZ6kS4uzRh6EYCTAfBgNVHSMEGDAWgBTVLTdn
MB3RwMmsZ6kS4uzRh6EYCTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gA
MEUCIE2774oHFRydfmM8Gr3/Ss4v3SY/iGR0Hu91zhPWQBDBAiEArPhvC9OmxKQ3
CaTc9uFIY9R4fbxkwBt0qZK0q+/E9CI=
-----END CERTIFICATE-----
`;
const SERVER_CERT = `-----BEGIN CERTIFICATE-----
MIIBtDCCAVqgAwIBAgIUV9pyEi7uF8czs0jbuK9cA2z2QXcwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTc2Vzc2lvbmZsb3ctdGVzdC1jYTAgFw0yNjExMjEwNjIzNTha
GA8yMTI2MTAyODA2MjM1OFowFDESMBAGA1UEAwwJMTI3LjAuMC4xMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEScYa4RTJUHkliqLWtQTZrPFGHGe4Jsx4yaM5ctpZ
6JlgLK7wcUork62bTsCCoqyTjnV/K8wi1bQhYauUClDA2aN+MHwwGgYDVR0RBBMw
EYcEfwAAAYIJbG9jYWxob3N0MAkGA1UdEwQCMAAwEwYDVR0lBAwwCgYIKwYBBQUH
AwEwHQYDVR0OBBYEFC2ZP8mYG0ZqlUhYv85sJR8FGZgTMB8GA1UdIwQYMBaAFNUt
N2cwHdHAyaxnqRLi7NGHoRgJMAoGCCqGSM49BAMCA0gAMEUCIQC+8EOKrAGOltau
2POe80316zqF72ctk8ssXSS0ENk+LAIgPEPTeD9/IJZf1oGk6OyFjbp8W9tFUEXy
5hb42gZD5K4=
-----END CERTIFICATE-----
`;
const SERVER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgewlCmnSHIJ2TfuEP
jAOkKgbPyXCgLb6Y/xSVqaz5fZehRANCAARJxhrhFMlQeSWKota1BNms8UYcZ7gm
zHjJozly2lnomWAsrvBxSiuTrZtOwIKirJOOdX8rzCLVtCFhq5QKUMDZ
-----END PRIVATE KEY-----
`;
const CLIENT_CERT = `-----BEGIN CERTIFICATE-----
MIIBoTCCAUegAwIBAgIUV9pyEi7uF8czs0jbuK9cA2z2QXgwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTc2Vzc2lvbmZsb3ctdGVzdC1jYTAgFw0yNjExMjEwNjIzNTha
GA8yMTI2MTAyODA2MjM1OFowHTEbMBkGA1UEAwwSc2Vzc2lvbmZsb3ctY2xpZW50
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5wKN+Z8MbZfHWUGn6l8M0GoXxvhO
nNMOwnZjMiw16rOt3x11V1awf5Z5fEUJZDBRUGhOkYxavb8iX67g/2fwaaNiMGAw
CQYDVR0TBAIwADATBgNVHSUEDDAKBggrBgEFBQcDAjAdBgNVHQ4EFgQUrHbOtLmU
h6Z4W473wSBuTkKanGgwHwYDVR0jBBgwFoAU1S03ZzAd0cDJrGepEuLs0YehGAkw
CgYIKoZIzj0EAwIDSAAwRQIgV14+Jc9sFJ2Q3gOUPmRUVwnBbfuOKGrbPeXCl/Lp
RF4CIQCEnxAZX5YsORSzRWPgpoVmYyUpUaLpWTz2utEpkb0Zjw==
-----END CERTIFICATE-----
`;
const CLIENT_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVx3geSJiFEQxjZg0
sSvoGTHIAZGj1onSHyL++BZ1l+ehRANCAATnAo35nwxtl8dZQafqXwzQahfG+E6c
0w7CdmMyLDXqs63fHXVXVrB/lnl8RQlkMFFQaE6RjFq9vyJfruD/Z/Bp
-----END PRIVATE KEY-----
`;

describe('session client: client certificates and private CAs', () => {
  let server: Server;
  let base: string;
  let handshakesWithCert = 0;
  before(async () => {
    server = createServer({ key: SERVER_KEY, cert: SERVER_CERT, ca: CA_CERT, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      if (!socket.authorized || !peer?.subject) {
        res.writeHead(401).end('client certificate required');
        return;
      }
      const cookie = req.headers.cookie ?? '';
      const session = /SID=(\w+)/.exec(cookie)?.[1];
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (!session) headers['set-cookie'] = `SID=s${Math.random().toString(36).slice(2)}; Path=/; Secure; HttpOnly`;
      res.writeHead(200, headers).end(JSON.stringify({ cn: peer.subject.CN, reused: session !== undefined }));
    });
    server.on('secureConnection', (s: TLSSocket) => {
      if (s.getPeerCertificate()?.subject) handshakesWithCert++;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await closeCertificateAgents();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('presents the client certificate and keeps the session cookie over https', async () => {
    const jar = new SessionJar();
    const c = createSessionClient({ receiver: 'mtls', jar, auth: { type: 'client-certificate', cert: CLIENT_CERT, key: CLIENT_KEY }, ca: CA_CERT });
    const r1 = await c.request({ method: 'GET', url: `${base}/a` });
    const r2 = await c.request({ method: 'GET', url: `${base}/b` });
    const b1 = JSON.parse(Buffer.from(r1.body).toString());
    const b2 = JSON.parse(Buffer.from(r2.body).toString());
    assert.equal(r1.status, 200);
    assert.equal(b1.cn, 'sessionflow-client');
    assert.equal(b1.reused, false);
    assert.equal(b2.reused, true, 'the Secure session cookie is sent back over https');
    assert.equal(r1.trace.sessionOpened, true);
    assert.ok(handshakesWithCert >= 1);
  });

  it('without a client certificate the server refuses', async () => {
    const c = createSessionClient({ receiver: 'mtls', jar: null, auth: { type: 'none' }, ca: CA_CERT });
    const r = await c.request({ method: 'GET', url: `${base}/a` });
    assert.equal(r.status, 401);
  });

  it('an untrusted server certificate fails the TLS handshake with SF_HTTP_CONNECT', async () => {
    const c = createSessionClient({ receiver: 'mtls', jar: null, auth: { type: 'client-certificate', cert: CLIENT_CERT, key: CLIENT_KEY } });
    await assert.rejects(c.request({ method: 'GET', url: `${base}/a` }), (e: unknown) => {
      assert.ok(e instanceof HttpClientError);
      assert.equal(e.code, 'SF_HTTP_CONNECT');
      assert.match(e.message, /^receiver "mtls": TLS handshake with https:\/\/127\.0\.0\.1:\d+\/a failed \(\w+\) \(SF_HTTP_CONNECT\)$/);
      assert.ok(!e.message.includes('PRIVATE KEY'));
      return true;
    });
  });
});
