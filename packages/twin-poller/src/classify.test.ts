import { classifyIotHubError } from './classify';
import { ReadTimeoutError } from './errors';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function sdkError(name: string, statusCode?: number, headers: Record<string, string> = {}) {
  const error = Object.assign(new Error(`${name} message`), { name });
  return statusCode === undefined ? error : Object.assign(error, { response: { statusCode, headers } });
}
const netError = (code: string, message = `connect ${code}`) => Object.assign(new Error(message), { code });

describe('classifyIotHubError', () => {
  it.each([
    ['ThrottlingError', 429],
    ['InternalServerError', 500],
    ['BadDeviceResponseError', 502],
    ['ServiceUnavailableError', 503],
    ['GatewayTimeoutError', 504],
    ['DeviceTimeoutError', 408],
  ])('retries %s (HTTP %i)', (name, status) => {
    expect(classifyIotHubError(sdkError(name, status), NOW)).toEqual({ kind: 'transient' });
    // Errors of other transports carry no response; the class name decides.
    expect(classifyIotHubError(sdkError(name), NOW)).toEqual({ kind: 'transient' });
  });

  it.each([
    ['UnauthorizedError', 401, /credentials/],
    ['TooManyDevicesError', 403, /forbids/],
    ['DeviceNotFoundError', 404, /not registered/],
    ['Error', 404, /not registered/],
    ['ArgumentError', 400, /invalid/],
    ['InvalidEtagError', 412, /HTTP 412/],
  ])('fails on %s (HTTP %i)', (name, status, hint) => {
    const verdict = classifyIotHubError(sdkError(name, status), NOW);
    expect(verdict.kind).toBe('fatal');
    expect(verdict).toMatchObject({ hint: expect.stringMatching(hint) });
  });

  it.each(['UnauthorizedError', 'DeviceNotFoundError', 'IotHubNotFoundError', 'ArgumentError'])(
    'fails on %s without a response',
    (name) => {
      expect(classifyIotHubError(sdkError(name), NOW).kind).toBe('fatal');
    },
  );

  it('reads Retry-After from the response headers, in seconds or as an HTTP date', () => {
    expect(classifyIotHubError(sdkError('ThrottlingError', 429, { 'retry-after': '3' }), NOW)).toEqual({
      kind: 'transient',
      retryAfterMs: 3000,
    });
    const date = new Date(NOW + 10_000).toUTCString();
    expect(
      classifyIotHubError(sdkError('ServiceUnavailableError', 503, { 'retry-after': date }), NOW),
    ).toEqual({
      kind: 'transient',
      retryAfterMs: 10_000,
    });
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH'])(
    'retries the network error %s',
    (code) => {
      expect(classifyIotHubError(netError(code), NOW)).toEqual({ kind: 'transient' });
    },
  );

  it('retries "socket hang up" and our own read timeout', () => {
    expect(classifyIotHubError(new Error('socket hang up'), NOW).kind).toBe('transient');
    expect(classifyIotHubError(new ReadTimeoutError(100), NOW).kind).toBe('transient');
  });

  it('fails on an unresolvable host and on an untrusted certificate, saying what to fix', () => {
    expect(classifyIotHubError(netError('ENOTFOUND'), NOW)).toMatchObject({
      kind: 'fatal',
      hint: /HostName/,
    });
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ]) {
      expect(classifyIotHubError(netError(code), NOW)).toMatchObject({ kind: 'fatal', hint: /CA/ });
    }
  });

  it.each([
    [new TypeError('x is not a function')],
    ['a string'],
    [null],
    [undefined],
    [Object.create(null)],
    [{ name: 'toString' }],
    [{ response: 'not an object', statusCode: 'nope' }],
  ])('treats anything unrecognised (%p) as fatal without throwing', (value) => {
    expect(classifyIotHubError(value, NOW)).toMatchObject({ kind: 'fatal', hint: /unexpected/ });
  });
});
