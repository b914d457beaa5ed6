import { type HttpAnswer, sendRequest } from '../http-request';

/** One answer of the web view, read in full. */
export type ViewAnswer = HttpAnswer;

/**
 * A raw HTTP request to the view with full control of the headers (Host, Cookie, Origin), as a browser or
 * an attacker would send them. No keep-alive agent: nothing stays open after the answer.
 */
export function viewRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
): Promise<ViewAnswer> {
  const url = new URL(path, base);
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return sendRequest(
    {
      protocol: 'http:',
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: options.method ?? 'GET',
      agent: false,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
    },
    body,
  );
}

/** Opens the printed URL like a browser: returns the session cookie the view sets. */
export async function viewSession(viewUrl: string): Promise<{ base: string; cookie: string; csrf: string }> {
  const url = new URL(viewUrl);
  const base = `${url.protocol}//${url.host}`;
  const opened = await viewRequest(base, `${url.pathname}${url.search}`);
  const setCookie = opened.headers['set-cookie']?.[0];
  if (opened.status !== 303 || !setCookie)
    throw new Error(`the view did not set a session (${opened.status})`);
  const cookie = setCookie.split(';')[0] as string;
  const session = await viewRequest(base, '/api/session', { headers: { cookie } });
  return { base, cookie, csrf: (session.json as { csrfToken: string }).csrfToken };
}
