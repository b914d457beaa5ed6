/**
 * The time source and timers of the toolkit's libraries (the poller and the device handler), one shape
 * for both: injectable, so tests drive them with fake timers or callers with another scheduler.
 */
export interface Clock {
  /** Wall-clock time in epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process clock. Globals are looked up at call time, so jest's fake timers take effect. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
