/** The moment every fake-timer suite starts at; `after(ms)` is relative to it. */
export const REQUESTED = new Date('2026-01-01T12:00:00.000Z');
export const after = (ms: number) => new Date(REQUESTED.getTime() + ms);

/** Fake timers starting at {@link REQUESTED}; each test must leave no timer behind. */
export function useFakeTimeAtRequest(): void {
  beforeEach(() => jest.useFakeTimers({ now: REQUESTED }));
  afterEach(() => {
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });
}

/** Runs every timer until `promise` settles; resolves with how it settled. */
export async function settle<T>(promise: Promise<T>) {
  const settled = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await jest.runAllTimersAsync();
  return settled;
}
