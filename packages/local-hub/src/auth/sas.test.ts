import fc from 'fast-check';
import { createSasToken, parseSasToken, SasError, signSas, verifySasToken } from './sas';

const KEY = Buffer.alloc(32, 3).toString('base64');
const OTHER = Buffer.alloc(32, 4).toString('base64');
const NOW = 1_800_000_000;

describe('SAS tokens', () => {
  it('round-trips a device token as the SDK builds it (sr URL-encoded and signed encoded)', () => {
    const token = parseSasToken(createSasToken('hub/devices/dev 1', KEY, NOW + 60));
    expect(token.sr).toBe('hub%2Fdevices%2Fdev%201');
    expect(token.sig).toBe(signSas(KEY, 'hub%2Fdevices%2Fdev%201', NOW + 60));
    expect(() =>
      verifySasToken(token, { resource: 'hub/devices/dev 1', keys: [KEY], nowSeconds: NOW }),
    ).not.toThrow();
  });

  it('accepts a service token whose sr is the raw host name, naming the policy', () => {
    const sig = encodeURIComponent(signSas(KEY, 'hub.example', NOW + 5));
    const token = parseSasToken(`SharedAccessSignature sr=hub.example&sig=${sig}&skn=service&se=${NOW + 5}`);
    expect(token.skn).toBe('service');
    expect(() =>
      verifySasToken(token, { resource: 'hub.example', keys: [KEY], nowSeconds: NOW }),
    ).not.toThrow();
  });

  it.each([
    ['expired', NOW - 1, 'hub/devices/d', [KEY], 'expired'],
    ['expiring now', NOW, 'hub/devices/d', [KEY], 'expired'],
    ['for another resource', NOW + 60, 'hub/devices/other', [KEY], 'wrong-resource'],
    ['signed by another key', NOW + 60, 'hub/devices/d', [OTHER], 'bad-signature'],
  ])('refuses a token %s', (_label, se, resource, keys, reason) => {
    const token = parseSasToken(createSasToken('hub/devices/d', KEY, se as number));
    expect(() =>
      verifySasToken(token, { resource: resource as string, keys: keys as string[], nowSeconds: NOW }),
    ).toThrow(expect.objectContaining({ reason }));
  });

  it('accepts either of two keys (primary or secondary)', () => {
    const token = parseSasToken(createSasToken('hub/devices/d', KEY, NOW + 60));
    expect(() =>
      verifySasToken(token, { resource: 'hub/devices/d', keys: [OTHER, KEY], nowSeconds: NOW }),
    ).not.toThrow();
  });

  it.each([
    'sr=a&sig=b&se=1',
    'SharedAccessSignature sr=a&sig=b',
    'SharedAccessSignature sr=a&sig=b&se=soon',
    'SharedAccessSignature sr=a&sr=b&sig=c&se=1',
    'SharedAccessSignature sr=a&sig=%E0%A4%A&se=1',
    'SharedAccessSignature junk',
  ])('rejects the malformed token %j', (text) => {
    expect(() => parseSasToken(text)).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  it('never throws anything but SasError and never echoes the input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          verifySasToken(parseSasToken(`SharedAccessSignature ${text}`), {
            resource: 'r',
            keys: [KEY],
            nowSeconds: NOW,
          });
        } catch (err) {
          expect(err).toBeInstanceOf(SasError);
          if (text.length > 8) expect((err as Error).message).not.toContain(text);
        }
      }),
    );
  });
});
