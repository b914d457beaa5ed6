import type { RequestOptions } from 'node:https';
import { Agent } from 'node:https';
import { GatewayHttp } from './gateway-http';

/** Captures what the SDK's Http would hand to https.request, without any socket. */
function capture(http: GatewayHttp, options?: object): RequestOptions {
  let seen: RequestOptions | undefined;
  const request = ((opts: RequestOptions) => {
    seen = opts;
    return { on: () => undefined } as never;
  }) as never;
  http.buildRequest(
    'GET',
    '/devices/d?api-version=1',
    { a: '1' },
    'ignored.example',
    { ...options, request },
    () => {},
  );
  if (!seen) throw new Error('no request built');
  return seen;
}

describe('GatewayHttp', () => {
  it('without a gateway targets port 443 of the hub with the system CAs, like the SDK', () => {
    const http = new GatewayHttp({ host: 'hub.azure-devices.net', port: 443 }, undefined);
    const agent = new Agent({ keepAlive: true });
    http.setOptions({ http: { agent } });
    const options = capture(http);
    expect(options).toMatchObject({
      host: 'hub.azure-devices.net',
      port: 443,
      path: '/devices/d?api-version=1',
      agent,
    });
    expect(options.ca).toBeUndefined();
    http.destroy();
  });

  it('keeps its CA when the SDK replaces the options with its keep-alive agent', () => {
    const http = new GatewayHttp({ host: '127.0.0.1', port: 8443 }, 'PEM');
    http.setOptions({ http: { agent: new Agent({ keepAlive: true }) } });
    expect(capture(http)).toMatchObject({ host: '127.0.0.1', port: 8443, ca: 'PEM' });
    http.destroy();
  });

  it('refuses X.509 options instead of silently dropping the certificate', () => {
    const http = new GatewayHttp({ host: 'h', port: 1 }, undefined);
    expect(() => http.buildRequest('GET', '/', {}, 'h', { cert: 'c', key: 'k' }, () => {})).toThrow(/X.509/);
  });
});
