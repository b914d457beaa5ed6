import { classifyCallError } from './call-outcome';

describe('classifyCallError', () => {
  it('names the timeouts the hub gives', () => {
    expect(classifyCallError({ name: 'GatewayTimeoutError' })).toEqual({ kind: 'timed-out' });
    expect(classifyCallError({ name: 'Error', response: { statusCode: 504 } })).toEqual({
      kind: 'timed-out',
    });
    expect(
      classifyCallError({
        name: 'Error',
        response: { statusCode: 404 },
        responseBody: '{"Message":"ErrorCode:DeviceNotOnline;Timed out waiting for device to connect."}',
      }),
    ).toEqual({ kind: 'device-offline' });
  });

  it('keeps other failures apart, by code, status or name only', () => {
    expect(classifyCallError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toEqual({
      kind: 'failed',
      reason: 'ECONNRESET',
    });
    expect(
      classifyCallError({
        name: 'DeviceNotFoundError',
        response: { statusCode: 404 },
        responseBody: 'DeviceNotFound',
      }),
    ).toEqual({
      kind: 'failed',
      reason: 'HTTP 404',
    });
    expect(classifyCallError(new TypeError('sig=secret'))).toEqual({ kind: 'failed', reason: 'TypeError' });
    expect(classifyCallError(undefined)).toEqual({ kind: 'failed', reason: 'unknown error' });
  });
});
