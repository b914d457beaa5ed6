import type { Clock } from './clock';

/** How one bounded read ended. */
export type ReadOutcome<T> =
  | { kind: 'value'; value: T }
  | { kind: 'error'; error: unknown }
  | { kind: 'timed-out' }
  | { kind: 'aborted' };

/**
 * Runs `read` with its own AbortSignal, which fires when `timeoutMs` passes or `outer` aborts. Settles
 * at the first of: the read settling, the timeout, the abort; then clears its timer and listener.
 * A read that ignores its signal is abandoned: its late result or rejection is swallowed.
 */
export function readWithTimeout<T>(
  read: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  clock: Clock,
): Promise<ReadOutcome<T>> {
  const controller = new AbortController();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ReadOutcome<T>, abortReason?: unknown) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      if (abortReason !== undefined) controller.abort(abortReason);
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'aborted' }, outer?.reason);
    const timer = clock.setTimeout(
      () => finish({ kind: 'timed-out' }, new Error(`read timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    outer?.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(read(controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => finish({ kind: 'value', value }),
      (error: unknown) => finish({ kind: 'error', error }),
    );
  });
}

/** Waits `ms`; resolves `true` when the time passed, `false` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, clock: Clock): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
