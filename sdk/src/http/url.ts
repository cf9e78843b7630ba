/**
 * URL helpers for the session client. `displayUrl` is the only form in which a request URL
 * appears in messages and events: no user info, no query values.
 */

/** `scheme://host[:port]/path?key=***` — user info removed, query values and fragment masked. */
export function displayUrl(url: string | URL): string {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return redactRawUrl(String(url));
  }
  let out = `${u.protocol}//${u.host}${u.pathname}`;
  if (u.search.length > 1) {
    const keys: string[] = [];
    for (const part of u.search.slice(1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      keys.push(eq < 0 ? part : `${part.slice(0, eq)}=***`);
    }
    out += `?${keys.join('&')}`;
  }
  return out;
}

/** Best-effort redaction of a string that does not parse as a URL. */
export function redactRawUrl(raw: string): string {
  let s = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  s = s.replace(/\/\/[^/?#]*@/, '//***@');
  s = s.replace(/([?&][^=&#]*)=[^&#]*/g, '$1=***');
  return s;
}

/** What the client reads of a request URL, per URL object, with the `href` it was read from (URLs can change). */
interface UrlParts {
  href: string;
  origin: string;
  pathname: string;
}
const parts = new WeakMap<URL, UrlParts>();

/**
 * `origin` and `pathname` of a URL, remembered per URL object: the client reads them several
 * times per request on the same (cached) URL, and each read of `origin` or `pathname` builds a
 * new string.
 */
export function urlParts(url: URL): UrlParts {
  const href = url.href;
  const known = parts.get(url);
  if (known !== undefined && known.href === href) return known;
  const read: UrlParts = { href, origin: url.origin, pathname: url.pathname };
  parts.set(url, read);
  return read;
}

/** `scheme://host:port` key used for per-origin state (cookies, CSRF token, auth gate). */
export function originOf(url: URL): string {
  return urlParts(url).origin;
}
