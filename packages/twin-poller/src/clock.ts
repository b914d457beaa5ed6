/**
 * The time source and timers the poller uses. Injected so callers can drive polling from another
 * scheduler; the default reads the global timers at call time, so jest's fake timers apply to it.
 */
export interface Clock {
  /** Wall-clock time in epoch milliseconds (also used to resolve `Retry-After` HTTP dates). */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process clock: `Date.now()` and the global `setTimeout`/`clearTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
