import { redactDeep, redactSecrets } from '@iothub-reboot/contracts';

/** Base class of every error this package raises. */
export class RebootHandlerError extends Error {
  override name = 'RebootHandlerError';
}

/** An SDK call did not settle in time (the SDK never times out a pending twin request itself). */
export class OperationTimeoutError extends RebootHandlerError {
  override name = 'OperationTimeoutError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} did not complete within ${timeoutMs} ms`);
  }
}

/** An operation still failed after its last allowed attempt; `cause` is the last failure. */
export class RetriesExhaustedError extends RebootHandlerError {
  override name = 'RetriesExhaustedError';
  constructor(
    readonly operation: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`${operation} failed after ${attempts} attempt(s): ${errorMessage(cause)}`, { cause });
  }
}

/** The pending-reboot store could not be read or written. */
export class PendingRebootStoreError extends RebootHandlerError {
  override name = 'PendingRebootStoreError';
}

/**
 * The message of anything thrown, for people and for method responses: no stack, and secrets
 * (connection-string keys, SAS tokens and signatures) masked.
 */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
  return redactSecrets(text);
}

/**
 * A copy of `err` that is safe to log as `{ err }`: same class (so pino names its type), with secrets
 * masked in the message, the stack, the cause and every other property. Errors from the reboot action
 * or an SDK may quote a connection string or token.
 */
export function loggable(err: unknown): unknown {
  if (!(err instanceof Error)) return redactDeep(err);
  const copy = Object.create(Object.getPrototypeOf(err)) as Error;
  for (const [key, value] of Object.entries(err)) {
    (copy as unknown as Record<string, unknown>)[key] = key === 'cause' ? loggable(value) : redactDeep(value);
  }
  Object.defineProperty(copy, 'message', {
    value: redactSecrets(err.message),
    configurable: true,
    writable: true,
  });
  Object.defineProperty(copy, 'stack', {
    value: err.stack === undefined ? undefined : redactSecrets(err.stack),
    configurable: true,
    writable: true,
  });
  if (err.cause !== undefined) copy.cause = loggable(err.cause);
  return copy;
}
