import { CliError } from '@iothub-reboot/app-kit';
import {
  PollAbortedError,
  PollFatalError,
  PollTimeoutError,
  RebootFailedError,
  readIotHubError,
} from '@iothub-reboot/twin-poller';
import { EXIT, type OutcomeCode } from './exit-codes';

const fail = (code: OutcomeCode, exitCode: number, message: string, cause: unknown) =>
  new CliError(message, { exitCode, code, cause });

/** The facts of an error, with '' for what it lacks (the messages below print them). */
function factsOf(error: unknown) {
  const f = readIotHubError(error);
  return { ...f, code: f.code ?? '', message: f.message ?? String(error) };
}

/** Maps a failed `invokeDeviceMethod` to the app's one-line message and exit code. */
export function invokeFailure(error: unknown, deviceId: string, hubHost: string): CliError {
  const f = factsOf(error);
  if (f.hubErrorCode === 'DeviceNotOnline' || (f.status === 404 && f.name !== 'DeviceNotFoundError')) {
    return fail(
      'device-offline',
      EXIT.deviceOffline,
      `device ${deviceId} is offline: it did not connect within the connect timeout (start the device app, or raise --connect-timeout)`,
      error,
    );
  }
  if (f.name === 'GatewayTimeoutError' || f.status === 504 || f.name === 'MethodTimeoutError') {
    return fail(
      'method-timed-out',
      EXIT.methodTimedOut,
      `device ${deviceId} did not answer the method within the response timeout (raise --response-timeout, or use the device's respond-then-reboot mode)`,
      error,
    );
  }
  return commonFailure(error, f, deviceId, hubHost);
}

/** Maps a failed twin poll to the app's one-line message and exit code. */
export function pollFailure(error: unknown, deviceId: string, hubHost: string): CliError {
  if (error instanceof RebootFailedError) {
    return fail(
      'reboot-failed',
      EXIT.rebootFailed,
      `device ${deviceId} reported in its twin that the reboot failed: ${error.reason}`,
      error,
    );
  }
  if (error instanceof PollTimeoutError) {
    return fail(
      'not-reported',
      EXIT.notReported,
      `device ${deviceId} did not report the reboot: ${error.message}`,
      error,
    );
  }
  if (error instanceof PollAbortedError) {
    return fail('unexpected', EXIT.unexpected, 'polling was stopped', error);
  }
  const cause = error instanceof PollFatalError ? error.cause : error;
  return commonFailure(cause, factsOf(cause), deviceId, hubHost);
}

function commonFailure(
  error: unknown,
  f: ReturnType<typeof factsOf>,
  deviceId: string,
  hubHost: string,
): CliError {
  if (f.name === 'DeviceNotFoundError' || f.hubErrorCode === 'DeviceNotFound') {
    return fail(
      'device-not-found',
      EXIT.deviceNotFound,
      `device ${deviceId} is not registered in ${hubHost}`,
      error,
    );
  }
  if (f.name === 'UnauthorizedError' || f.status === 401) {
    return fail(
      'unauthorized',
      EXIT.unauthorized,
      `${hubHost} refused the credentials: check the connection string's policy and key (the policy needs ServiceConnect and RegistryRead)`,
      error,
    );
  }
  if (
    [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
    ].includes(f.code)
  ) {
    return fail('hub-unreachable', EXIT.hubUnreachable, `cannot reach ${hubHost} (${f.code})`, error);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(f.code)) {
    return fail(
      'hub-unreachable',
      EXIT.hubUnreachable,
      `the TLS certificate of ${hubHost} is not trusted (${f.code}): pass the hub's CA with --ca`,
      error,
    );
  }
  if (f.name === 'HubCallTimeoutError') {
    return fail('hub-unreachable', EXIT.hubUnreachable, `${hubHost} did not answer in time`, error);
  }
  return fail('unexpected', EXIT.unexpected, `the hub call failed: ${f.message.split('\n')[0] ?? ''}`, error);
}
