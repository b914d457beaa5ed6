import { isFatalOpenFailure } from './keep-connected';
import { classifyOpenFailure } from './open-failure';

// The shapes azure-iot-device-mqtt 1.16 gives for a failed first open() against the local hub (recorded
// with the real SDK): an UnauthorizedError whatever the cause, the cause in its transportError.
const sdkError = (inner: string) =>
  Object.assign(new Error(`mqtt.js returned Failure on first connection (Not authorized): ${inner} error`), {
    name: 'UnauthorizedError',
    transportError: new Error(`Failure on first connection (Not authorized): ${inner}`),
  });

describe('classifyOpenFailure', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:1', 'unreachable'],
    ['getaddrinfo ENOTFOUND nohub.example', 'unreachable'],
    ['read ECONNRESET', 'unreachable'],
    ['Connection refused: Server unavailable', 'unreachable'],
    ['unable to verify the first certificate', 'untrusted-certificate'],
    ['self-signed certificate in certificate chain', 'untrusted-certificate'],
    [
      "Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's altnames",
      'untrusted-certificate',
    ],
    ['Connection refused: Bad username or password', 'credentials-refused'],
    ['Connection refused: Not authorized', 'credentials-refused'],
  ] as const)('%s → %s', (inner, kind) => {
    expect(classifyOpenFailure(sdkError(inner))).toBe(kind);
  });

  it('keeps an UnauthorizedError without a known cause a credentials refusal; anything else is other', () => {
    expect(
      classifyOpenFailure(Object.assign(new Error('token expired'), { name: 'UnauthorizedError' })),
    ).toBe('credentials-refused');
    expect(classifyOpenFailure(new Error('something else'))).toBe('other');
    expect(classifyOpenFailure(undefined)).toBe('other');
  });

  it('makes only refused credentials and untrusted certificates fatal for openWithRetry', () => {
    expect(isFatalOpenFailure(sdkError('connect ECONNREFUSED 127.0.0.1:1'))).toBe(false);
    expect(isFatalOpenFailure(sdkError('unable to verify the first certificate'))).toBe(true);
    expect(isFatalOpenFailure(sdkError('Connection refused: Bad username or password'))).toBe(true);
  });
});
