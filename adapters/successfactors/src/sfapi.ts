/**
 * The SFAPI SOAP variant: every operation runs in the session that the SFAPI `login` operation
 * opened (JSESSIONID cookie, kept by the session client's jar). Without a session for the
 * endpoint the adapter sends `login` first, then the call in that session. A call answered
 * with an `INVALID_SESSION` fault (the 10-minute idle expiry passed) logs in again once and is
 * retried once.
 *
 * The SFAPI takes the password only in the `login` body: every request goes out with
 * `credentials: 'omit'` (never the receiver's Basic header), the login with
 * `carriesCredentials` so that the runtime counts it as the authentication it is.
 */
import { AdapterError } from '@sessionflow/sdk';
import type { AdapterContext, AdapterResult, HttpResponse, OutboundMessage } from '@sessionflow/sdk';

export const SFAPI_NS = 'urn:sfobject.sfapi.successfactors.com';
const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function xmlUnescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function elementText(xml: string, local: string): string | undefined {
  const m = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${local}>`).exec(xml);
  return m?.[1] !== undefined ? xmlUnescape(m[1].trim()) : undefined;
}

export interface SoapFaultInfo {
  faultcode?: string;
  faultstring?: string;
  /** SFAPI error code from the fault detail or the fault string (e.g. INVALID_SESSION). */
  errorCode?: string;
}

/** Reads a SOAP 1.1 fault; undefined when the body holds none. */
export function parseSoapFault(xml: string): SoapFaultInfo | undefined {
  if (!/<(?:[\w.-]+:)?Fault[\s>]/.test(xml)) return undefined;
  const info: SoapFaultInfo = {};
  const code = elementText(xml, 'faultcode');
  const text = elementText(xml, 'faultstring');
  const errorCode = elementText(xml, 'errorCode') ?? (text !== undefined ? /^([A-Z][A-Z_]+):/.exec(text)?.[1] : undefined);
  if (code !== undefined) info.faultcode = code;
  if (text !== undefined) info.faultstring = text;
  if (errorCode !== undefined) info.errorCode = errorCode;
  return info;
}

/** The operation element's local name (the first element of the SOAP Body, or the root of body content). */
export function operationName(xml: string): string | undefined {
  const inBody = /<(?:[\w.-]+:)?Body(?:\s[^>]*)?>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(xml);
  if (inBody) return inBody[1];
  return /^\s*(?:<\?xml[^>]*\?>\s*)?<(?:[\w.-]+:)?([\w.-]+)/.exec(xml)?.[1];
}

/** Wraps body content in a SOAP 1.1 envelope (content that already is an envelope is sent as is); the operation gets the SFAPI namespace when it declares none. */
export function sfapiEnvelope(content: string): string {
  const text = content.replace(/^\s*<\?xml[^>]*\?>\s*/, '').trim();
  if (/^<(?:[\w.-]+:)?Envelope[\s>]/.test(text)) return text;
  const withNs = /^<([\w.-]+)(?=[\s>/])(?![^>]*\sxmlns=)/.test(text) ? text.replace(/^<([\w.-]+)/, `<$1 xmlns="${SFAPI_NS}"`) : text;
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Body>${withNs}</soapenv:Body></soapenv:Envelope>`;
}

function loginEnvelope(companyId: string, user: string, password: string): string {
  return sfapiEnvelope(
    `<login><credential><companyId>${xmlEscape(companyId)}</companyId><username>${xmlEscape(user)}</username><password>${xmlEscape(password)}</password></credential></login>`,
  );
}

const dec = new TextDecoder();

export async function sendSfapi(message: OutboundMessage, context: AdapterContext, companyId: string | undefined): Promise<AdapterResult> {
  const { receiver } = context;
  const who = `receiver "${receiver.name}" (successfactors soap)`;
  const content = dec.decode(message.body);
  if (content.trim() === '') throw new AdapterError('SF_SFAPI_BODY', `${who}: the message body must hold the SFAPI operation (XML), e.g. <query><queryString>SELECT id FROM User</queryString></query>`);
  const envelope = sfapiEnvelope(content);
  const operation = operationName(envelope) ?? '';
  if (operation === 'login') throw new AdapterError('SF_SFAPI_BODY', `${who}: do not send login yourself; the adapter logs in with the receiver's credentials when the session needs it`);

  const post = (xml: string, action: string, carriesCredentials = false): Promise<HttpResponse> =>
    context.http.request({
      method: 'POST',
      url: receiver.address,
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${action}"`, Accept: 'text/xml' },
      body: xml,
      signal: context.signal,
      credentials: 'omit',
      ...(carriesCredentials ? { carriesCredentials } : {}),
    });

  const login = async (): Promise<void> => {
    const cred = context.credentials;
    if (!cred || cred.type !== 'basic') {
      throw new AdapterError(
        'SF_SFAPI_CREDENTIALS',
        `${who}: the SFAPI login needs the receiver's basic credentials (user and password), but the runtime handed the adapter ${cred ? `${cred.type} credentials` : 'none'}`,
      );
    }
    if (companyId === undefined || companyId === '') throw new AdapterError('SF_SFAPI_CONFIG', `${who}: config.companyId is required for the SFAPI login`);
    context.log.debug('SFAPI login', { receiver: receiver.name, companyId });
    const res = await post(loginEnvelope(companyId, cred.user, cred.password), 'login', true);
    const text = dec.decode(res.body);
    const fault = parseSoapFault(text);
    if (res.status >= 400 || fault || elementText(text, 'sessionId') === undefined) {
      throw new AdapterError('SF_SFAPI_LOGIN', `${who}: the SFAPI login failed${fault ? ` (${fault.errorCode ?? fault.faultcode ?? 'fault'}: ${fault.faultstring ?? ''})` : ` with HTTP ${res.status}`}`, {
        status: res.status,
        ...(fault ?? {}),
      });
    }
    if (!res.trace.sessionCookieSet) {
      context.log.info('the SFAPI login answer set no session cookie; later calls may fail with INVALID_SESSION', { receiver: receiver.name });
    }
  };

  // Log in first when the jar holds no session for the endpoint. A client that cannot tell
  // (no hasSession) sends the call, and the INVALID_SESSION fault below leads to the login.
  let loggedIn = false;
  if (context.http.hasSession !== undefined && !(await context.http.hasSession(receiver.address))) {
    context.log.debug('no SFAPI session yet: logging in', { receiver: receiver.name });
    await login();
    loggedIn = true;
  }
  let res = await post(envelope, operation);
  let fault = parseSoapFault(dec.decode(res.body));
  if (fault?.errorCode === 'INVALID_SESSION' && !loggedIn) {
    context.log.debug(res.trace.sessionCookieSentHash !== undefined ? 'SFAPI session expired: logging in again' : 'no SFAPI session yet: logging in', { receiver: receiver.name });
    await login();
    res = await post(envelope, operation);
    fault = parseSoapFault(dec.decode(res.body));
  }
  if (fault?.errorCode === 'INVALID_SESSION') {
    throw new AdapterError(
      'SF_SFAPI_SESSION',
      `${who}: the call was refused with INVALID_SESSION right after a successful login; the SFAPI needs the session cookie kept between calls — set runtime.sessionHandling to onExchange or onIntegrationFlow`,
      { ...fault, status: res.status },
    );
  }
  if (fault) {
    throw new AdapterError('SF_SOAP_FAULT', `${who}: ${operation} failed with SOAP fault ${fault.errorCode ?? fault.faultcode ?? ''}${fault.faultstring ? `: ${fault.faultstring}` : ''}`, {
      ...fault,
      status: res.status,
      body: res.body,
    });
  }
  if (res.status < 200 || res.status > 299) {
    throw new AdapterError('SF_HTTP_STATUS', `${who} answered ${res.status} for ${operation}`, { status: res.status, body: res.body });
  }
  const contentType = res.headers['content-type'];
  return { status: res.status, headers: res.headers, body: res.body, ...(contentType !== undefined ? { contentType } : {}) };
}
