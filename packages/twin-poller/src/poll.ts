import pino, { type Logger } from 'pino';
import { readWithTimeout, sleep } from './abortable';
import { type BackoffOptions, fullJitterDelay } from './backoff';
import { classifyIotHubError, type ErrorClassification, type ErrorClassifier } from './classify';
import { type Clock, systemClock } from './clock';
import {
  CapturedError,
  captureError,
  PollAbortedError,
  PollFatalError,
  PollOptionsError,
  PollTimeoutError,
  type PollTimeoutReason,
  ReadTimeoutError,
} from './errors';

/** What a predicate says about one observation: satisfied with a value, or not yet (and why). */
export type PollCheck<V> = { done: true; value: V } | { done: false; reason: string };

/**
 * Passed to `onAttempt` after every read. `nextAttemptInMs` is the wait before the next read, or
 * undefined when the bound stops polling here (and on success).
 */
export type AttemptReport<T> = {
  attempt: number;
  elapsedMs: number;
  nextAttemptInMs?: number | undefined;
} & (
  | { outcome: 'satisfied'; observation: T }
  | { outcome: 'not-yet'; observation: T; reason: string }
  | { outcome: 'transient-error'; error: unknown }
);

/** The bounds and hooks shared by every poll in this package. */
export interface PollControl<T> {
  /** Wait after an unsatisfying observation, in ms (from the end of one read to the start of the next). Default 2000. */
  intervalMs?: number;
  /** Most reads in total, failed ones included. Default 30. */
  maxAttempts?: number;
  /** Overall deadline in ms from the start: no read runs past it. Default 60000. */
  timeoutMs?: number;
  /** A single read is abandoned (and retried as a transient error) after this many ms. Default 10000. */
  readTimeoutMs?: number;
  /** Exponential backoff with full jitter for transient errors. Default `{ initialMs: 1000, maxMs: 30000 }`. */
  backoff?: Partial<BackoffOptions>;
  /** Stops polling at once; the poll rejects with {@link PollAbortedError}. */
  signal?: AbortSignal;
  /** Progress hook, called after every read; an exception it throws is logged and ignored. */
  onAttempt?: (report: AttemptReport<T>) => void;
  /** Time source and timers (default: the process clock). */
  clock?: Clock;
  /** Random source in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** pino logger; silent by default. */
  logger?: Logger;
}

/** Options of {@link pollUntil}. */
export interface PollOptions<T, V> extends PollControl<T> {
  /** One read. Receives a signal that fires on the per-read timeout or on abort; pass it on to I/O. */
  read: (signal: AbortSignal) => Promise<T>;
  /** Decides whether an observation is the one awaited. Should be pure; if it throws, polling fails. */
  check: (observation: T) => PollCheck<V>;
  /** Transient or fatal? Default {@link classifyIotHubError}. */
  classifyError?: ErrorClassifier;
  /** What is awaited, for messages and logs, e.g. `twin of dev1`. */
  label?: string;
}

/** A satisfied poll. */
export interface PollResult<V> {
  value: V;
  /** Reads it took, including failed ones. */
  attempts: number;
  elapsedMs: number;
}

export const POLL_DEFAULTS = {
  intervalMs: 2000,
  maxAttempts: 30,
  timeoutMs: 60_000,
  readTimeoutMs: 10_000,
  backoff: { initialMs: 1000, maxMs: 30_000 },
} as const;

/**
 * Reads until `check` is satisfied, within `maxAttempts` reads and `timeoutMs`. Transient errors are
 * retried with backoff (honouring `Retry-After`) inside the same bounds; fatal ones reject at once.
 * Rejects with {@link PollTimeoutError}, {@link PollAbortedError}, {@link PollFatalError} or
 * {@link PollOptionsError}. When it settles, no timer or listener of its own is left.
 */
export async function pollUntil<T, V>(options: PollOptions<T, V>): Promise<PollResult<V>> {
  const s = resolveSettings(options);
  const { clock, label, signal } = s;
  const log = s.logger.child({ poll: label });
  const startedAt = clock.now();
  const deadline = startedAt + s.timeoutMs;
  let attempts = 0;
  let failures = 0;
  let lastObservation: T | undefined;
  let lastError: unknown;

  const elapsed = () => clock.now() - startedAt;
  const timeout = (reason: PollTimeoutReason) => {
    log.debug({ attempts, reason }, 'poll gave up');
    return new PollTimeoutError<T>(label, {
      reason,
      attempts,
      elapsedMs: elapsed(),
      lastObservation,
      lastError,
    });
  };
  const aborted = () =>
    new PollAbortedError(label, { attempts, elapsedMs: elapsed(), cause: signal?.reason });
  const fatal = (hint: string, cause: unknown) =>
    new PollFatalError(label, { hint, cause: captureError(cause), attempts, elapsedMs: elapsed() });
  const report = (r: AttemptReport<T>) => {
    try {
      s.onAttempt?.(r);
    } catch (err) {
      log.warn({ err: new CapturedError(err) }, 'onAttempt hook threw; ignored');
    }
  };

  for (;;) {
    if (signal?.aborted) throw aborted();
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw timeout('deadline');
    attempts += 1;
    // The last read before the deadline gets only what is left, so no read outlives the poll.
    const cutByDeadline = remaining <= s.readTimeoutMs;
    const readTimeoutMs = Math.min(s.readTimeoutMs, remaining);
    const outcome = await readWithTimeout(s.read, readTimeoutMs, signal, clock);

    if (outcome.kind === 'aborted') throw aborted();
    // Each branch yields what to tell onAttempt and how long to wait before the next read.
    let step: { report: AttemptReport<T>; waitMs: number };
    if (outcome.kind === 'value') {
      lastObservation = outcome.value;
      lastError = undefined;
      failures = 0;
      let verdict: PollCheck<V>;
      try {
        verdict = s.check(outcome.value);
        if (typeof verdict?.done !== 'boolean')
          throw new TypeError('expected { done: true, value } or { done: false, reason }');
      } catch (err) {
        throw fatal('the predicate threw or returned no verdict; fix the check function', err);
      }
      if (verdict.done) {
        report({ attempt: attempts, elapsedMs: elapsed(), outcome: 'satisfied', observation: outcome.value });
        log.debug({ attempts }, 'poll satisfied');
        return { value: verdict.value, attempts, elapsedMs: elapsed() };
      }
      log.debug({ attempt: attempts, reason: verdict.reason }, 'not yet');
      step = {
        report: {
          attempt: attempts,
          elapsedMs: elapsed(),
          outcome: 'not-yet',
          observation: outcome.value,
          reason: verdict.reason,
        },
        waitMs: s.intervalMs,
      };
    } else {
      const error = outcome.kind === 'timed-out' ? new ReadTimeoutError(readTimeoutMs) : outcome.error;
      lastError = captureError(error);
      if (outcome.kind === 'timed-out' && cutByDeadline) throw timeout('deadline');
      let verdict: ErrorClassification;
      try {
        verdict = s.classifyError(error, clock.now());
        if (verdict?.kind !== 'transient' && verdict?.kind !== 'fatal')
          throw new TypeError('expected kind transient or fatal');
      } catch (err) {
        throw fatal('the error classifier threw or returned no verdict; fix classifyError', err);
      }
      if (verdict.kind === 'fatal') throw fatal(verdict.hint, error);
      failures += 1;
      const waitMs = Math.max(fullJitterDelay(failures, s.backoff, s.random()), verdict.retryAfterMs ?? 0);
      log.warn({ err: lastError, attempt: attempts, waitMs }, 'transient read failure');
      step = {
        report: { attempt: attempts, elapsedMs: elapsed(), outcome: 'transient-error', error: lastError },
        waitMs,
      };
    }

    const bound: PollTimeoutReason | undefined =
      attempts >= s.maxAttempts ? 'attempts' : clock.now() + step.waitMs >= deadline ? 'deadline' : undefined;
    report({ ...step.report, nextAttemptInMs: bound === undefined ? step.waitMs : undefined });
    if (bound !== undefined) throw timeout(bound);
    if (!(await sleep(step.waitMs, signal, clock))) throw aborted();
  }
}

interface Settings<T, V> {
  read: (signal: AbortSignal) => Promise<T>;
  check: (observation: T) => PollCheck<V>;
  classifyError: ErrorClassifier;
  label: string;
  intervalMs: number;
  maxAttempts: number;
  timeoutMs: number;
  readTimeoutMs: number;
  backoff: BackoffOptions;
  signal: AbortSignal | undefined;
  onAttempt: ((report: AttemptReport<T>) => void) | undefined;
  clock: Clock;
  random: () => number;
  logger: Logger;
}

function resolveSettings<T, V>(options: PollOptions<T, V>): Settings<T, V> {
  if (typeof options !== 'object' || options === null)
    throw new PollOptionsError('options must be an object');
  const fn = <F>(name: string, value: F | undefined, fallback?: F): F => {
    const chosen = value ?? fallback;
    if (typeof chosen !== 'function') throw new PollOptionsError(`${name} must be a function`);
    return chosen;
  };
  const settings: Settings<T, V> = {
    read: fn('read', options.read),
    check: fn('check', options.check),
    classifyError: fn('classifyError', options.classifyError, classifyIotHubError),
    label: typeof options.label === 'string' && options.label !== '' ? options.label : 'condition',
    intervalMs: number('intervalMs', options.intervalMs, POLL_DEFAULTS.intervalMs, 0),
    maxAttempts: number('maxAttempts', options.maxAttempts, POLL_DEFAULTS.maxAttempts, 1, true),
    timeoutMs: number('timeoutMs', options.timeoutMs, POLL_DEFAULTS.timeoutMs, 1),
    readTimeoutMs: number('readTimeoutMs', options.readTimeoutMs, POLL_DEFAULTS.readTimeoutMs, 1),
    backoff: {
      initialMs: number('backoff.initialMs', options.backoff?.initialMs, POLL_DEFAULTS.backoff.initialMs, 0),
      maxMs: number('backoff.maxMs', options.backoff?.maxMs, POLL_DEFAULTS.backoff.maxMs, 0),
    },
    signal: options.signal,
    onAttempt: options.onAttempt === undefined ? undefined : fn('onAttempt', options.onAttempt),
    clock: options.clock ?? systemClock,
    random: fn('random', options.random, Math.random),
    logger: options.logger ?? pino({ level: 'silent' }),
  };
  if (settings.signal !== undefined && !(settings.signal instanceof AbortSignal)) {
    throw new PollOptionsError('signal must be an AbortSignal');
  }
  return settings;
}

function number(name: string, value: unknown, fallback: number, min: number, integer = false): number {
  const chosen = value ?? fallback;
  if (
    typeof chosen !== 'number' ||
    !Number.isFinite(chosen) ||
    chosen < min ||
    (integer && !Number.isInteger(chosen))
  ) {
    throw new PollOptionsError(
      `${name} must be a finite ${integer ? 'integer' : 'number'} ≥ ${min}, got ${String(value)}`,
    );
  }
  return chosen;
}
