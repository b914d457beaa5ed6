import { systemClock } from './clock';
import { OperationTimeoutError, RebootHandlerError, RetriesExhaustedError } from './errors';
import { backoffDelay, DEFAULT_RETRY, resolveRetrySettings, retryWithBackoff, withTimeout } from './retry';

const settings = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 300, callTimeoutMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles the upper bound per failure up to the cap, with full jitter', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, settings, top))).toEqual([99, 199, 299, 299]);
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(2, settings, () => 0.5)).toBe(100);
  });
});

describe('resolveRetrySettings', () => {
  it('fills in the defaults', () => {
    expect(resolveRetrySettings()).toEqual(DEFAULT_RETRY);
    expect(resolveRetrySettings({ maxAttempts: 7 }).maxAttempts).toBe(7);
  });

  it.each([{ maxAttempts: 0 }, { callTimeoutMs: 0 }, { initialDelayMs: -1 }, { maxDelayMs: 1.5 }])(
    'refuses %j',
    (override) => {
      expect(() => resolveRetrySettings(override)).toThrow(RebootHandlerError);
    },
  );
});

describe('withTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes through a result that arrives in time', async () => {
    await expect(withTimeout('op', 100, systemClock, async () => 42)).resolves.toBe(42);
  });

  it('passes through a failure, including a synchronous throw', async () => {
    await expect(withTimeout('op', 100, systemClock, () => Promise.reject(new Error('no')))).rejects.toThrow(
      'no',
    );
    await expect(
      withTimeout('op', 100, systemClock, () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('rejects with OperationTimeoutError when the call hangs', async () => {
    const result = withTimeout('getTwin', 100, systemClock, () => new Promise<never>(() => undefined));
    const settled = expect(result).rejects.toEqual(new OperationTimeoutError('getTwin', 100));
    await jest.advanceTimersByTimeAsync(100);
    await settled;
  });

  it('swallows a late failure of the abandoned call', async () => {
    let fail!: (err: Error) => void;
    const late = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    const onUnhandled = jest.fn();
    process.on('unhandledRejection', onUnhandled);
    try {
      const result = withTimeout('op', 10, systemClock, () => late);
      const settled = expect(result).rejects.toBeInstanceOf(OperationTimeoutError);
      await jest.advanceTimersByTimeAsync(10);
      await settled;
      fail(new Error('too late'));
      await jest.advanceTimersByTimeAsync(0);
      jest.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(onUnhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('retryWithBackoff', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries after jittered delays until the attempt succeeds', async () => {
    const attempt = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(new Error('a'))
      .mockRejectedValueOnce(new Error('b'))
      .mockResolvedValue('done');
    const onRetry = jest.fn();
    const result = retryWithBackoff('op', attempt, {
      settings,
      clock: systemClock,
      random: () => 0.5,
      onRetry,
    });
    await jest.advanceTimersByTimeAsync(49);
    expect(attempt).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(attempt).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(99);
    expect(attempt).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe('done');
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(onRetry.mock.calls).toEqual([
      [new Error('a'), 1, 50],
      [new Error('b'), 2, 100],
    ]);
  });

  it('gives up after maxAttempts with the last failure as cause', async () => {
    let n = 0;
    const result = retryWithBackoff('op', async () => Promise.reject(new Error(`fail ${++n}`)), {
      settings,
      clock: systemClock,
      random: () => 0.999,
    });
    const settled = result.then(
      () => undefined,
      (err: unknown) => err,
    );
    await jest.runAllTimersAsync();
    const err = await settled;
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err).toMatchObject({
      attempts: 4,
      cause: new Error('fail 4'),
      message: 'op failed after 4 attempt(s): fail 4',
    });
  });
});
