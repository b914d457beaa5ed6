import { redactSecrets } from '@iothub-reboot/contracts';
/** Why a poll gave up without a satisfying observation. */
export type PollTimeoutReason = 'attempts' | 'deadline';

/** Details shared by the poll errors: how far polling got before it stopped. */
export interface PollProgress {
  /** Reads started, including failed ones. */
  attempts: number;
  /** Milliseconds between the start of polling and the error. */
  elapsedMs: number;
}

/**
 * The bound was reached before the predicate was satisfied. `lastObservation` is the last value a read
 * returned (undefined when no read succeeded) and `lastError` the last transient failure, if any.
 */
export class PollTimeoutError<T = unknown> extends Error {
  override readonly name = 'PollTimeoutError';
  readonly reason: PollTimeoutReason;
  readonly attempts: number;
  readonly elapsedMs: number;
  readonly lastObservation: T | undefined;
  readonly lastError: unknown;

  constructor(
    label: string,
    details: PollProgress & {
      reason: PollTimeoutReason;
      lastObservation: T | undefined;
      lastError?: unknown;
    },
  ) {
    const bound =
      details.reason === 'attempts'
        ? `all ${details.attempts} attempts were used`
        : 'the deadline left no room for another attempt';
    const failure =
      details.lastError === undefined ? '' : `; last error: ${describeError(details.lastError)}`;
    super(`Gave up waiting for ${label}: ${bound} (${details.elapsedMs} ms)${failure}`);
    this.reason = details.reason;
    this.attempts = details.attempts;
    this.elapsedMs = details.elapsedMs;
    this.lastObservation = details.lastObservation;
    this.lastError = details.lastError;
  }
}

/**
 * The device reported in its twin that the requested reboot failed (`iothubDM.reboot.status: 'failed'`
 * with the request's correlation id). `reason` is the device's, masked for secrets.
 */
export class RebootFailedError extends Error {
  override readonly name = 'RebootFailedError';
  readonly deviceId: string;
  readonly reason: string;
  readonly correlationId: string;
  readonly attempts: number;
  readonly elapsedMs: number;

  constructor(details: PollProgress & { deviceId: string; reason: string; correlationId: string }) {
    super(`Device ${details.deviceId} reported that the reboot failed: ${redactSecrets(details.reason)}`);
    this.deviceId = details.deviceId;
    this.reason = redactSecrets(details.reason);
    this.correlationId = details.correlationId;
    this.attempts = details.attempts;
    this.elapsedMs = details.elapsedMs;
  }
}

/** The caller's `AbortSignal` fired; `cause` is the signal's reason. */
export class PollAbortedError extends Error {
  override readonly name = 'PollAbortedError';
  readonly attempts: number;
  readonly elapsedMs: number;

  constructor(label: string, details: PollProgress & { cause: unknown }) {
    super(`Stopped waiting for ${label}: aborted after ${details.attempts} attempt(s)`, {
      cause: details.cause,
    });
    this.attempts = details.attempts;
    this.elapsedMs = details.elapsedMs;
  }
}

/**
 * A failure that retrying cannot fix (bad credentials, unknown device, a predicate that throws).
 * `hint` says what to fix; `cause` is the original error.
 */
export class PollFatalError extends Error {
  override readonly name = 'PollFatalError';
  readonly hint: string;
  readonly attempts: number;
  readonly elapsedMs: number;

  constructor(label: string, details: PollProgress & { hint: string; cause: unknown }) {
    super(`Cannot poll ${label}: ${details.hint} (${describeError(details.cause)})`, {
      cause: details.cause,
    });
    this.hint = details.hint;
    this.attempts = details.attempts;
    this.elapsedMs = details.elapsedMs;
  }
}

/** Invalid options (e.g. a negative interval); nothing was read. */
export class PollOptionsError extends Error {
  override readonly name = 'PollOptionsError';
}

/** A single read did not settle within the per-read timeout; retried like any transient error. */
export class ReadTimeoutError extends Error {
  override readonly name = 'ReadTimeoutError';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`The read did not complete within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

// SDK and hub messages are quoted in ours; make sure no SAS signature or key can ride along.
/**
 * A copy of a thrown value that is safe to keep and log: name, redacted message, stack, `code` and
 * `statusCode`. SDK errors carry the raw HTTP response, whose request headers hold the SAS token;
 * a logger serializing them (or their `cause`) would leak it.
 */
export class CapturedError extends Error {
  readonly code: string | undefined;
  readonly statusCode: number | undefined;

  constructor(error: unknown) {
    super(error instanceof Error ? redactSecrets(error.message) : describeError(error));
    this.name = error instanceof Error ? error.name : 'NonErrorThrown';
    if (error instanceof Error && error.stack) this.stack = redactSecrets(error.stack);
    const fields = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      statusCode?: unknown;
      response?: { statusCode?: unknown };
    };
    this.code = typeof fields.code === 'string' ? fields.code : undefined;
    const status = fields.response?.statusCode ?? fields.statusCode;
    this.statusCode = typeof status === 'number' ? status : undefined;
  }
}

/** Wraps `error` in a {@link CapturedError} unless it is one of ours already. */
export function captureError(error: unknown): unknown {
  return error instanceof CapturedError || error instanceof ReadTimeoutError
    ? error
    : new CapturedError(error);
}

/** `Name: message` of any thrown value, with secrets removed and long messages cut. */
export function describeError(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : `non-error value ${safeString(error)}`;
  const redacted = redactSecrets(text);
  return redacted.length > 300 ? `${redacted.slice(0, 299)}…` : redacted;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    // e.g. an object without a prototype: String() has no way to convert it.
    return typeof value;
  }
}
