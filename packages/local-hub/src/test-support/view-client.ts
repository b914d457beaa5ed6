import { request } from 'node:http';

/** One answer of the web view, read in full. */
export interface ViewAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

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
  return new Promise((resolve, reject) => {
    const req = request(
      {
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
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
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
