import fc from 'fast-check';
import { ConnectionStringError, parseServiceConnectionString } from './connection-string';

const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

describe('parseServiceConnectionString', () => {
  it('parses a real hub string to port 443 of the host', () => {
    expect(
      parseServiceConnectionString(
        `HostName=hub.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=${KEY}`,
      ),
    ).toEqual({
      hostName: 'hub.azure-devices.net',
      sharedAccessKeyName: 'service',
      sharedAccessKey: KEY,
      endpoint: { host: 'hub.azure-devices.net', port: 443 },
    });
  });

  it.each([
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    ['localhost', { host: 'localhost', port: 443 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
  ])('honours GatewayHostName=%s', (gateway, endpoint) => {
    const info = parseServiceConnectionString(
      `HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY};GatewayHostName=${gateway}`,
    );
    expect(info.endpoint).toEqual(endpoint);
    expect(info.hostName).toBe('localhost');
  });

  it.each([
    ['', /empty/],
    ['HostName=h;SharedAccessKeyName=p', /no SharedAccessKey/],
    [`SharedAccessKeyName=p;SharedAccessKey=${KEY}`, /no HostName/],
    [`HostName=h;SharedAccessKey=${KEY}`, /no SharedAccessKeyName/],
    [`HostName=h;SharedAccessKeyName=p;SharedAccessKey=${KEY};Gateway=x`, /unknown key "Gateway"/],
    [`HostName=h;HostName=i;SharedAccessKeyName=p;SharedAccessKey=${KEY}`, /repeats "HostName"/],
    [`HostName=h;SharedAccessKeyName=p;SharedAccessKey=${KEY};GatewayHostName=a:99999`, /port/],
    [`HostName=h;SharedAccessKeyName=p;SharedAccessKey=${KEY};GatewayHostName=a:b:c`, /GatewayHostName/],
    [`HostName=h;justtext;SharedAccessKey=${KEY}`, /key=value/],
  ])('rejects %j', (cs, message) => {
    expect(() => parseServiceConnectionString(cs)).toThrow(ConnectionStringError);
    expect(() => parseServiceConnectionString(cs)).toThrow(message);
  });

  it('never puts the key in an error message', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), fc.string(), (secret, junk) => {
        fc.pre(!junk.includes(secret));
        const cs = `HostName=h;SharedAccessKey=${secret};${junk}`;
        try {
          parseServiceConnectionString(cs);
        } catch (err) {
          expect(err).toBeInstanceOf(ConnectionStringError);
          expect((err as Error).message).not.toContain(secret);
        }
      }),
    );
  });
});
