import {
  CapturedError,
  PollFatalError,
  PollTimeoutError,
  RebootFailedError,
} from '@iothub-reboot/twin-poller';
import { EXIT } from './exit-codes';
import { invokeFailure, pollFailure } from './outcome';

const sdkError = (name: string, statusCode: number, hubCode: string) =>
  Object.assign(new Error('x'), {
    name,
    response: { statusCode, headers: { 'iothub-errorcode': hubCode } },
    responseBody: `{"Message":"ErrorCode:${hubCode};text"}`,
  });

describe('invokeFailure', () => {
  it.each([
    [sdkError('Error', 404, 'DeviceNotOnline'), EXIT.deviceOffline, 'device-offline'],
    [sdkError('DeviceNotFoundError', 404, 'DeviceNotFound'), EXIT.deviceNotFound, 'device-not-found'],
    [sdkError('GatewayTimeoutError', 504, 'GatewayTimeout'), EXIT.methodTimedOut, 'method-timed-out'],
    [sdkError('UnauthorizedError', 401, 'IotHubUnauthorizedAccess'), EXIT.unauthorized, 'unauthorized'],
    [
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      EXIT.hubUnreachable,
      'hub-unreachable',
    ],
    [
      Object.assign(new Error('self-signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      EXIT.hubUnreachable,
      'hub-unreachable',
    ],
    [new Error('something else'), EXIT.unexpected, 'unexpected'],
    ['not even an error', EXIT.unexpected, 'unexpected'],
  ])('maps %p to exit %i (%s)', (error, exitCode, code) => {
    const failure = invokeFailure(error, 'dev1', 'hub.example');
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.code).toBe(code);
    expect(failure.message).not.toMatch(/\n/);
  });
});

describe('pollFailure', () => {
  it('maps a poll timeout to the not-reported code', () => {
    const timeout = new PollTimeoutError('a reboot of dev1', {
      reason: 'attempts',
      attempts: 10,
      elapsedMs: 50_000,
      lastObservation: { reported: false, reason: 'no reboot reported yet' },
    });
    expect(pollFailure(timeout, 'dev1', 'hub')).toMatchObject({
      exitCode: EXIT.notReported,
      code: 'not-reported',
    });
  });

  it('maps a reboot the device reported as failed to its own code and exit 12', () => {
    const failed = new RebootFailedError({
      deviceId: 'dev1',
      reason: 'relay stuck',
      correlationId: 'c-1',
      attempts: 2,
      elapsedMs: 10,
    });
    expect(pollFailure(failed, 'dev1', 'hub')).toMatchObject({
      exitCode: 12,
      code: 'reboot-failed',
      message: expect.stringMatching(/reported in its twin that the reboot failed: relay stuck/),
    });
  });

  it('looks through a fatal poll error at its cause', () => {
    // The poller keeps a stripped copy of SDK errors (no request, so no SAS token).
    const cause = new CapturedError(sdkError('Error', 401, 'IotHubUnauthorizedAccess'));
    const fatal = new PollFatalError('a reboot of dev1', {
      attempts: 1,
      elapsedMs: 5,
      hint: 'check the key',
      cause,
    });
    expect(pollFailure(fatal, 'dev1', 'hub')).toMatchObject({ exitCode: EXIT.unauthorized });
  });
});
