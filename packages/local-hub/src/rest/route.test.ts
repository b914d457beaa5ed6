import type { RestRequest } from './handlers/context';
import { route } from './route';
import { listRoutes } from './routes';

const ok = () => ({ status: 200 });

describe('route', () => {
  it('matches literal segments exactly and captures each placeholder segment', () => {
    const r = route({ method: 'GET', path: '/a.b/{x}/c/{y}', permissions: [], handler: ok });
    expect(r.paramNames).toEqual(['x', 'y']);
    expect(r.pattern.exec('/a.b/1/c/2')?.slice(1)).toEqual(['1', '2']);
    expect(r.pattern.test('/aXb/1/c/2')).toBe(false);
    expect(r.pattern.test('/a.b/1/2/c/3')).toBe(false);
  });

  it('refuses a placeholder that is only part of a segment', () => {
    expect(() => route({ method: 'GET', path: '/a/x{id}', permissions: [], handler: ok })).toThrow(
      /whole segment/,
    );
  });

  it('types a handler by the placeholders of its path', () => {
    const byDevice = (_ctx: unknown, request: RestRequest<'deviceId'>) => ({
      status: 200,
      body: request.params.deviceId,
    });
    route({ method: 'GET', path: '/twins/{deviceId}', permissions: [], handler: byDevice });
    // @ts-expect-error: '/devices' has no {deviceId} for the handler to read.
    route({ method: 'GET', path: '/devices', permissions: [], handler: byDevice });
  });
});

describe('listRoutes', () => {
  it('lists each method and path of the table once', () => {
    const routes = listRoutes().map(({ method, path }) => `${method} ${path}`);
    expect(new Set(routes).size).toBe(routes.length);
    expect(routes).toContain('POST /twins/{deviceId}/methods');
    expect(routes).toContain('POST /jobs/v2/{jobId}/cancel');
  });
});
