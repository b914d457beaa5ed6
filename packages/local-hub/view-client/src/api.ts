// The view's JSON API, as the page calls it: the CSRF token on every state-changing request, and IoT
// Hub's error body turned into one readable message.

let csrfToken: string | undefined;

/** An API error: the HTTP status, IoT Hub's error name and its text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function session(): Promise<string> {
  if (csrfToken === undefined) {
    const answer = await request<{ csrfToken: string }>('GET', '/api/session');
    csrfToken = answer.csrfToken;
  }
  return csrfToken;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = await session();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const message = (json as { Message?: string } | undefined)?.Message ?? `HTTP ${res.status}`;
    const match = /^ErrorCode:([^;]*);(.*)$/s.exec(message);
    throw new ApiError(res.status, match?.[1] ?? 'Error', match?.[2] ?? message);
  }
  return json as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

export function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.status} ${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
