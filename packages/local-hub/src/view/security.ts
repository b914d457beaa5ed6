import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HubError } from '../errors';

/**
 * The web view's gates, as pure functions. The view can invoke methods and edit twins, so it is an admin
 * surface: a per-start random token (from the printed URL, then an HttpOnly SameSite=Strict cookie) on
 * every request, a CSRF token on every state-changing one, and the Host header pinned to the view's own
 * address against DNS rebinding (a rebound name reaches 127.0.0.1 with a foreign Host).
 */

/** The cookie that carries the access token once the printed URL was opened. */
export const SESSION_COOKIE = 'local_hub_view';
/** The request header that carries the CSRF token on POST, PUT, PATCH and DELETE. */
export const CSRF_HEADER = 'x-csrf-token';

/** Secrets of one start of the view: neither survives a restart. */
export interface ViewSecrets {
  accessToken: string;
  csrfToken: string;
}

export function newViewSecrets(): ViewSecrets {
  const accessToken = randomBytes(32).toString('base64url');
  // Derived, so it changes with the access token, but not guessable from anything the page can read.
  const csrfToken = createHmac('sha256', accessToken).update('csrf').digest('base64url');
  return { accessToken, csrfToken };
}

/** Constant-time comparison of two tokens (a length difference is not secret). */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value that turns the URL's token into the session cookie. */
export function sessionCookie(accessToken: string): string {
  // No Secure flag: the view is plain HTTP on loopback. No Max-Age: it ends with the browser session.
  return `${SESSION_COOKIE}=${accessToken}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The Host header values the view answers to: its own loopback address and port. */
export function allowedHosts(bindAddress: string, port: number): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  hosts.add(bindAddress.includes(':') ? `[${bindAddress}]:${port}` : `${bindAddress}:${port}`);
  return hosts;
}

/** HubError Forbidden unless `host` is one of the view's own. */
export function checkHost(host: string | undefined, allowed: ReadonlySet<string>): void {
  if (host === undefined || !allowed.has(host.toLowerCase())) {
    throw new HubError('Forbidden', 'The Host header does not name this hub view.');
  }
}

/** HubError IotHubUnauthorizedAccess unless the request carries the session cookie. */
export function checkSession(cookieHeader: string | undefined, secrets: ViewSecrets): void {
  if (!sameToken(cookieValue(cookieHeader, SESSION_COOKIE), secrets.accessToken)) {
    throw new HubError(
      'IotHubUnauthorizedAccess',
      'Open the view through the URL the hub printed (it carries a per-start access token).',
    );
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * HubError Forbidden when a state-changing request lacks the CSRF token, or comes from another origin.
 * SameSite=Strict already keeps the cookie off cross-site requests; this is the second lock.
 */
export function checkCsrf(
  method: string,
  headers: { csrf: string | undefined; origin: string | undefined; host: string | undefined },
  secrets: ViewSecrets,
): void {
  if (SAFE_METHODS.has(method)) return;
  if (headers.origin !== undefined && headers.origin !== `http://${headers.host}`) {
    throw new HubError('Forbidden', 'Cross-origin requests are refused.');
  }
  if (!sameToken(headers.csrf, secrets.csrfToken)) {
    throw new HubError('Forbidden', `A state-changing request needs the ${CSRF_HEADER} header.`);
  }
}

/**
 * Headers on every response of the view. The CSP allows only the view's own script and style files (no
 * inline script, no eval), connections to itself (the JSON API and the event stream), and no framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The first URL carries the access token: never pass it on.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
