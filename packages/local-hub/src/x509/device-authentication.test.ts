import { HubError } from '../errors';
import { authenticationDocument, parseAuthentication } from './device-authentication';

const SHA1 = 'A1'.repeat(20);
const SHA256 = 'b2'.repeat(32);
const KEY = Buffer.alloc(32, 1).toString('base64');

describe('parseAuthentication', () => {
  it('reads the kinds IoT Hub stores; no type keeps the current kind, empty strings count as absent', () => {
    expect(parseAuthentication(undefined)).toEqual({ kind: 'keep' });
    expect(parseAuthentication({ symmetricKey: { primaryKey: KEY, secondaryKey: '' } })).toEqual({
      kind: 'keep',
      primaryKey: KEY,
    });
    expect(parseAuthentication({ type: 'sas', symmetricKey: { primaryKey: '', secondaryKey: '' } })).toEqual({
      kind: 'sas',
    });
    expect(
      parseAuthentication({
        type: 'selfSigned',
        symmetricKey: { primaryKey: '', secondaryKey: '' },
        x509Thumbprint: { primaryThumbprint: SHA1, secondaryThumbprint: SHA256 },
      }),
    ).toEqual({
      kind: 'x509',
      x509: { type: 'selfSigned', primaryThumbprint: SHA1, secondaryThumbprint: SHA256 },
    });
    expect(
      parseAuthentication({ type: 'certificateAuthority', x509Thumbprint: { primaryThumbprint: null } }),
    ).toEqual({ kind: 'x509', x509: { type: 'certificateAuthority' } });
  });

  it.each([
    ['a thumbprint of another length', { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: 'AB' } }],
    ['a non-hex thumbprint', { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: 'G'.repeat(40) } }],
    [
      'colons in a thumbprint',
      { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: 'AB:'.repeat(20) } },
    ],
    [
      'selfSigned without a primary thumbprint',
      { type: 'selfSigned', x509Thumbprint: { secondaryThumbprint: SHA1 } },
    ],
    [
      'selfSigned with keys',
      { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: SHA1 }, symmetricKey: { primaryKey: KEY } },
    ],
    ['certificateAuthority with keys', { type: 'certificateAuthority', symmetricKey: { secondaryKey: KEY } }],
    ['sas with thumbprints', { type: 'sas', x509Thumbprint: { primaryThumbprint: SHA1 } }],
    ['an unknown type', { type: 'none' }],
  ])('refuses %s with ArgumentInvalid', (_what, body) => {
    expect(() => parseAuthentication(body)).toThrow(HubError);
    expect(() => parseAuthentication(body)).toThrow(
      expect.objectContaining({ errorName: 'ArgumentInvalid' }),
    );
  });
});

describe('authenticationDocument', () => {
  it('shows keys for SAS, thumbprints for selfSigned, and nulls for what a kind has not', () => {
    const keys = { primaryKey: KEY, secondaryKey: KEY };
    expect(authenticationDocument(undefined, keys)).toEqual({
      type: 'sas',
      symmetricKey: keys,
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    });
    expect(
      authenticationDocument(
        { type: 'selfSigned', primaryThumbprint: SHA1, secondaryThumbprint: null },
        keys,
      ),
    ).toEqual({
      type: 'selfSigned',
      symmetricKey: { primaryKey: null, secondaryKey: null },
      x509Thumbprint: { primaryThumbprint: SHA1, secondaryThumbprint: null },
    });
    expect(authenticationDocument({ type: 'certificateAuthority' }, keys)).toEqual({
      type: 'certificateAuthority',
      symmetricKey: { primaryKey: null, secondaryKey: null },
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    });
  });
});
