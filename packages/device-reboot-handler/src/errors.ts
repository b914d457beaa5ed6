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

const SECRET = /\b(SharedAccessKey|SharedAccessSignature|sig|se|skn)=[^;&\s]+/gi;

/**
 * The message of anything thrown, for people and for method responses: no stack, and any
 * credential-looking `key=value` (connection-string or SAS token parts) replaced by `***`.
 */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
  return text.replace(SECRET, '$1=***');
}
