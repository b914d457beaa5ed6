import fc from 'fast-check';
import { redactSecrets } from './secrets';

const KEY = 'dGhpcyBpcyBhIHNlY3JldCBrZXkgdmFsdWUgMTIzNA==';
const SIG = 'abc%2Bdef%3D';

describe('redactSecrets', () => {
  it.each([
    `HostName=h.azure-devices.net;DeviceId=d1;SharedAccessKey=${KEY}`,
    `HostName=h;SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY};GatewayHostName=127.0.0.1:8443`,
    `error: bad "HostName=h;SharedAccessKey=${KEY}" given`,
    `SharedAccessSignature sr=h%2Fdevices%2Fd1&sig=${SIG}&se=1700000000`,
    `HostName=h;DeviceId=d;SharedAccessSignature=SharedAccessSignature sr=h&sig=${SIG}&se=1`,
    `GET /x?sig=${SIG}&se=1`,
  ])('hides the secret in %s', (text) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(SIG);
    expect(out).toContain('***');
  });

  it('keeps the rest of the text readable', () => {
    expect(redactSecrets(`HostName=h;DeviceId=d1;SharedAccessKey=${KEY}`)).toBe(
      'HostName=h;DeviceId=d1;SharedAccessKey=***',
    );
  });

  it('leaves text without secrets unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/shared|sig=/i.test(s)),
        (s) => expect(redactSecrets(s)).toBe(s),
      ),
    );
  });

  it('hides any base64 key inside a connection string', () => {
    fc.assert(
      fc.property(
        fc.base64String({ minLength: 24, maxLength: 88 }).filter((k) => k.length >= 24),
        (key) => {
          expect(redactSecrets(`HostName=h;DeviceId=d;SharedAccessKey=${key}`)).not.toContain(key);
        },
      ),
    );
  });
});
