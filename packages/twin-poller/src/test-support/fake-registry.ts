import { Registry } from 'azure-iothub';
import { RestApiClient } from 'azure-iothub/dist/common-http/rest_api_client';

type Done = (
  err: Error | null,
  body?: unknown,
  response?: { statusCode: number; headers: Record<string, string> },
) => void;

/** A scripted failure: the hub answers this status (and headers) to the next request. */
export interface FakeFailure {
  status: number;
  code?: string;
  headers?: Record<string, string>;
}

/**
 * The real azure-iothub `Registry` over an in-memory REST client: twins by id, twin queries paged with
 * `x-ms-continuation`, and scripted failures turned into SDK errors by the SDK's own `translateError`.
 * Only `deviceId IN [...]` queries are understood (what the fleet mode sends).
 */
export class FakeHub {
  readonly twins = new Map<string, Record<string, unknown>>();
  readonly failures: FakeFailure[] = [];
  readonly requests: Array<{
    method: string;
    path: string;
    continuation?: string | undefined;
    query?: string | undefined;
  }> = [];
  readonly registry: Registry;

  constructor() {
    const executeApiCall = (
      method: string,
      path: string,
      headers: Record<string, string> | null,
      body: { query?: string } | null,
      done: Done,
    ) => {
      this.requests.push({ method, path, continuation: headers?.['x-ms-continuation'], query: body?.query });
      // Answer asynchronously, like a socket would (a promise: jest fakes queueMicrotask).
      void Promise.resolve().then(() => this.answer(method, path, headers ?? {}, body, done));
    };
    this.registry = new Registry(
      {
        host: 'fake-hub.example',
        sharedAccessSignature: 'SharedAccessSignature sr=fake-hub.example&sig=x&se=1',
      },
      { executeApiCall } as unknown as RestApiClient,
    );
  }

  setReported(deviceId: string, reported: Record<string, unknown>): void {
    this.twins.set(deviceId, { deviceId, etag: 'AAAA', properties: { desired: {}, reported } });
  }

  private answer(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: { query?: string } | null,
    done: Done,
  ) {
    const failure = this.failures.shift();
    if (failure) {
      this.failWith(failure.status, failure.code ?? 'Failure', done, failure.headers);
      return;
    }
    const twinPath = /^\/twins\/([^?]+)\?/.exec(path);
    if (method === 'GET' && twinPath) {
      const twin = this.twins.get(decodeURIComponent(twinPath[1] as string));
      if (twin) done(null, structuredClone(twin), { statusCode: 200, headers: {} });
      else this.failWith(404, 'DeviceNotFound', done);
      return;
    }
    if (method === 'POST' && path.startsWith('/devices/query')) {
      const list = /deviceId IN \[(.*)\]/.exec(body?.query ?? '')?.[1] ?? '';
      const ids = [...list.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]);
      const rows = ids.flatMap((id) => {
        const twin = id === undefined ? undefined : this.twins.get(id);
        return twin ? [structuredClone(twin)] : [];
      });
      const offset = Number(headers['x-ms-continuation'] ?? 0);
      const size = Number(headers['x-ms-max-item-count'] ?? 100);
      const next = offset + size;
      done(null, rows.slice(offset, next), {
        statusCode: 200,
        headers: next < rows.length ? { 'x-ms-continuation': String(next) } : {},
      });
      return;
    }
    this.failWith(400, 'BadRequest', done);
  }

  // The SDK's own translation, so the errors are exactly those a real hub's answer produces.
  private failWith(status: number, code: string, done: Done, headers: Record<string, string> = {}) {
    const errorBody = JSON.stringify({ Message: `ErrorCode:${code};scripted`, ExceptionMessage: '' });
    done(RestApiClient.translateError(errorBody, { statusCode: status, headers } as never));
  }
}
