import { systemClock } from './clock';
import { OperationTimeoutError, RebootHandlerError, RetriesExhaustedError } from './errors';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isThrottlingError,
  resolveRetrySettings,
  retryWithBackoff,
  throttledBackoffDelay,
  withTimeout,
} from './retry';

const settings = {
  ...DEFAULT_RETRY,
  maxAttempts: 4,
  initialDelayMs: 100,
  maxDelayMs: 300,
  callTimeoutMs: 1_000,
};

// What the SDKs hand the handler when the hub throttles: azure-iot-common's ThrottlingError, or, for a twin
// request over MQTT, a plain Error with the hub's message (azure-iot-device-mqtt mqtt_twin_client.js).
const throttlingError = () => Object.assign(new Error('Throttled'), { name: 'ThrottlingError' });
const mqttTwin429 = () =>
  new Error("The S1 hub's twinUpdates throttle is exceeded and its backlog is full; back off and retry.");

describe('backoffDelay', () => {
  it('doubles the upper bound per failure up to the cap, with full jitter', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, settings, top))).toEqual([99, 199, 299, 299]);
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(2, settings, () => 0.5)).toBe(100);
  });
});

describe('throttledBackoffDelay', () => {
  it('doubles from 1 s to the 3 s cap with equal jitter: never less than half the bound', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4].map((n) => throttledBackoffDelay(n, DEFAULT_RETRY, top))).toEqual([
      999, 1999, 2999, 2999,
    ]);
    expect([1, 2, 3, 4].map((n) => throttledBackoffDelay(n, DEFAULT_RETRY, () => 0))).toEqual([
      500, 1000, 1500, 1500,
    ]);
  });
});

describe('isThrottlingError', () => {
  it("knows the SDK's ThrottlingError and a device twin 429's message, nothing else", () => {
    expect(isThrottlingError(throttlingError())).toBe(true);
    expect(isThrottlingError(mqttTwin429())).toBe(true);
    expect(isThrottlingError(new Error('{"errorCode":429002}'))).toBe(true);
    expect(isThrottlingError(new Error('socket hang up'))).toBe(false);
    expect(isThrottlingError('Throttled')).toBe(false);
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

  it('retries throttled failures without counting them against maxAttempts', async () => {
    const attempt = jest.fn<Promise<string>, []>();
    for (let i = 0; i < 6; i += 1) attempt.mockRejectedValueOnce(i % 2 ? throttlingError() : mqttTwin429());
    attempt.mockResolvedValue('done');
    const onRetry = jest.fn();
    const result = retryWithBackoff('op', attempt, {
      settings: DEFAULT_RETRY,
      clock: systemClock,
      random: () => 0,
      onRetry,
    });
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('done');
    expect(attempt).toHaveBeenCalledTimes(7);
    // The longer throttled backoff: 0.5, 1, 1.5, 1.5, … s (random 0: the lower half-bound).
    expect(onRetry.mock.calls.map((call) => call[2])).toEqual([500, 1000, 1500, 1500, 1500, 1500]);
  });

  it('still counts the other failures when throttled ones come between them', async () => {
    const attempt = jest
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(throttlingError())
      .mockRejectedValueOnce(new Error('a'))
      .mockRejectedValueOnce(throttlingError())
      .mockRejectedValueOnce(new Error('b'))
      .mockRejectedValueOnce(new Error('c'))
      .mockResolvedValue('never');
    const result = retryWithBackoff('op', attempt, {
      settings: DEFAULT_RETRY,
      clock: systemClock,
      random: () => 0.5,
    }).catch((err: unknown) => err);
    await jest.runAllTimersAsync();
    expect(await result).toMatchObject({ name: 'RetriesExhaustedError', attempts: 5, cause: new Error('c') });
  });

  it('stops retrying a throttled operation at the deadline, well inside a 30 s method timeout', async () => {
    const started = Date.now();
    const attempt = jest.fn<Promise<string>, []>().mockRejectedValue(mqttTwin429());
    const result = retryWithBackoff('op', attempt, {
      settings: DEFAULT_RETRY,
      clock: systemClock,
      random: () => 0.999,
    }).catch((err: unknown) => err);
    await jest.runAllTimersAsync();
    const err = await result;
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(Date.now() - started).toBeLessThanOrEqual(DEFAULT_RETRY.deadlineMs);
    // 1 + 2 + 3 + 3 + 3 + 3 + 3 s of waits fit 18 s; the next 3 s would not.
    expect(attempt).toHaveBeenCalledTimes(8);
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
