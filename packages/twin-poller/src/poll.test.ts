import type { Clock } from './clock';
import {
  PollAbortedError,
  PollFatalError,
  PollOptionsError,
  PollTimeoutError,
  ReadTimeoutError,
} from './errors';
import { type AttemptReport, type PollCheck, type PollOptions, pollUntil } from './poll';

const isAtLeast =
  (n: number) =>
  (x: number): PollCheck<string> =>
    x >= n ? { done: true, value: `reached ${x}` } : { done: false, reason: `${x} < ${n}` };

/** A read that returns the next value of `values` each time (the last one repeats). */
function sequence(values: number[]) {
  let i = 0;
  return jest.fn(async (_signal: AbortSignal) => values[Math.min(i++, values.length - 1)] as number);
}

function httpError(name: string, statusCode: number, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`${name} from the hub`), { name, response: { statusCode, headers } });
}

/** A clock whose time moves only when a timer is fired by hand. */
class ManualClock implements Clock {
  private time = 0;
  private lastId = 0;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    this.lastId += 1;
    this.timers.set(this.lastId, { at: this.time + ms, callback });
    return this.lastId;
  };
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number);
  };
  pending = () => this.timers.size;

  /** Lets pending promises run, then fires the earliest timer; false when none is left. */
  async fireNext(): Promise<boolean> {
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
    const [id, timer] = [...this.timers].sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
    if (id === undefined || timer === undefined) return false;
    this.timers.delete(id);
    this.time = timer.at;
    timer.callback();
    return true;
  }
}

/** Starts a poll and lets fake time run until it settles. */
async function run<T, V>(options: PollOptions<T, V>) {
  const settled = pollUntil(options).then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await jest.runAllTimersAsync();
  return settled;
}

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});
afterEach(() => {
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

describe('pollUntil', () => {
  it('resolves with the first satisfying observation, attempts and elapsed time', async () => {
    const read = sequence([1, 2, 3, 4]);
    const check = jest.fn(isAtLeast(3));
    const outcome = await run({ read, check, intervalMs: 1000, maxAttempts: 10, timeoutMs: 60_000 });
    expect(outcome).toEqual({ ok: true, result: { value: 'reached 3', attempts: 3, elapsedMs: 2000 } });
    // The predicate saw every observation, in order, and nothing after the satisfying one.
    expect(check.mock.calls.map(([x]) => x)).toEqual([1, 2, 3]);
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('rejects with reason "attempts" and the last observation when the attempts run out', async () => {
    const read = sequence([1, 2]);
    const outcome = await run({
      read,
      check: isAtLeast(5),
      intervalMs: 10,
      maxAttempts: 4,
      timeoutMs: 60_000,
    });
    expect(read).toHaveBeenCalledTimes(4);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: PollTimeoutError<number> }).error;
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error).toMatchObject({
      reason: 'attempts',
      attempts: 4,
      lastObservation: 2,
      lastError: undefined,
    });
  });

  it('rejects with reason "deadline" as soon as the next attempt could not start in time', async () => {
    const read = sequence([0]);
    const outcome = await run({
      read,
      check: isAtLeast(1),
      intervalMs: 3000,
      maxAttempts: 100,
      timeoutMs: 10_000,
    });
    // Reads at 0, 3000, 6000, 9000; the next would start at 12000.
    expect(read).toHaveBeenCalledTimes(4);
    expect((outcome as { error: unknown }).error).toMatchObject({
      name: 'PollTimeoutError',
      reason: 'deadline',
      attempts: 4,
      elapsedMs: 9000,
    });
  });

  it('bounds a hanging read by the per-read timeout, aborts its signal and retries it', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const read = (signal: AbortSignal) => {
      signals.push(signal);
      calls += 1;
      return calls === 1 ? new Promise<number>(() => {}) : Promise.resolve(7);
    };
    const reports: AttemptReport<number>[] = [];
    const outcome = await run({
      read,
      check: isAtLeast(7),
      readTimeoutMs: 500,
      backoff: { initialMs: 100, maxMs: 100 },
      random: () => 0.5,
      onAttempt: (r) => reports.push(r),
    });
    expect(outcome).toEqual({ ok: true, result: { value: 'reached 7', attempts: 2, elapsedMs: 550 } });
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    expect(reports[0]).toMatchObject({ outcome: 'transient-error', nextAttemptInMs: 50 });
    expect((reports[0] as { error: unknown }).error).toBeInstanceOf(ReadTimeoutError);
  });

  it('cuts the last read at the deadline and reports reason "deadline"', async () => {
    const read = jest.fn((_signal: AbortSignal) => new Promise<number>(() => {}));
    const outcome = await run({ read, check: isAtLeast(1), readTimeoutMs: 5000, timeoutMs: 3000 });
    expect(read).toHaveBeenCalledTimes(1);
    expect((outcome as { error: unknown }).error).toMatchObject({
      reason: 'deadline',
      elapsedMs: 3000,
      lastError: expect.any(ReadTimeoutError),
    });
  });

  it('retries transient errors with full-jitter exponential backoff inside the attempt budget', async () => {
    const read = jest
      .fn<Promise<number>, [AbortSignal]>()
      .mockRejectedValueOnce(httpError('ThrottlingError', 429))
      .mockRejectedValueOnce(httpError('InternalServerError', 500))
      .mockRejectedValueOnce(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
      .mockResolvedValue(9);
    const waits: Array<number | undefined> = [];
    const outcome = await run({
      read,
      check: isAtLeast(9),
      backoff: { initialMs: 1000, maxMs: 3000 },
      random: () => 0.999,
      onAttempt: (r) => waits.push(r.nextAttemptInMs),
    });
    // Windows 1000, 2000, min(4000, 3000) at random 0.999.
    expect(waits).toEqual([999, 1998, 2997, undefined]);
    expect(outcome).toMatchObject({ ok: true, result: { attempts: 4, elapsedMs: 999 + 1998 + 2997 } });
  });

  it('counts transient errors against maxAttempts and keeps the last one, without secrets', async () => {
    const read = jest.fn(async (_signal: AbortSignal): Promise<number> => {
      throw Object.assign(httpError('ServiceUnavailableError', 503), {
        message: 'busy; Authorization: SharedAccessSignature sr=h&sig=c2VjcmV0&se=1&skn=iothubowner',
      });
    });
    const outcome = await run({
      read,
      check: isAtLeast(1),
      maxAttempts: 3,
      backoff: { initialMs: 10, maxMs: 10 },
    });
    expect(read).toHaveBeenCalledTimes(3);
    const error = (outcome as { error: PollTimeoutError }).error;
    expect(error).toMatchObject({ reason: 'attempts', attempts: 3, lastObservation: undefined });
    expect(error.lastError).toMatchObject({ name: 'ServiceUnavailableError', statusCode: 503 });
    expect(error.message).toMatch(/last error: ServiceUnavailableError/);
    expect(JSON.stringify(error.lastError)).not.toContain('response');
    expect(`${error.message} ${(error.lastError as Error).message}`).not.toContain('c2VjcmV0');
  });

  it('honours Retry-After in seconds and as an HTTP date, whichever is longer than the backoff', async () => {
    const retryAt = new Date(Date.now() + 7000).toUTCString();
    const read = jest
      .fn<Promise<number>, [AbortSignal]>()
      .mockRejectedValueOnce(httpError('ThrottlingError', 429, { 'retry-after': '4' }))
      .mockRejectedValueOnce(httpError('ServiceUnavailableError', 503, { 'retry-after': retryAt }))
      .mockResolvedValue(1);
    const waits: Array<number | undefined> = [];
    await run({
      read,
      check: isAtLeast(1),
      random: () => 0,
      onAttempt: (r) => waits.push(r.nextAttemptInMs),
    });
    // The second wait is measured from the moment of the second failure (4000 ms later).
    expect(waits).toEqual([4000, 3000, undefined]);
  });

  it('gives up with reason "deadline" when Retry-After points past the deadline', async () => {
    const read = jest.fn(async (_signal: AbortSignal): Promise<number> => {
      throw httpError('ThrottlingError', 429, { 'retry-after': '120' });
    });
    const outcome = await run({ read, check: isAtLeast(1), timeoutMs: 60_000 });
    expect(read).toHaveBeenCalledTimes(1);
    expect((outcome as { error: unknown }).error).toMatchObject({ reason: 'deadline', elapsedMs: 0 });
  });

  it.each([
    ['UnauthorizedError', 401, /refused the credentials/],
    ['DeviceNotFoundError', 404, /not registered in this hub/],
  ])('fails at once on %s with a hint of what to fix', async (name, status, hint) => {
    const read = jest.fn(async (_signal: AbortSignal): Promise<number> => {
      throw httpError(name, status);
    });
    const outcome = await run({ read, check: isAtLeast(1), label: 'twin of dev1' });
    expect(read).toHaveBeenCalledTimes(1);
    const error = (outcome as { error: PollFatalError }).error;
    expect(error).toBeInstanceOf(PollFatalError);
    expect(error.message).toMatch(/^Cannot poll twin of dev1: /);
    expect(error.hint).toMatch(hint);
    expect(error.cause).toMatchObject({ name, statusCode: status });
  });

  it('fails at once when the predicate returns no verdict', async () => {
    const outcome = await run({ read: sequence([1]), check: (() => undefined) as never });
    expect((outcome as { error: unknown }).error).toMatchObject({
      name: 'PollFatalError',
      hint: expect.stringMatching(/no verdict/),
    });
  });

  it('fails at once when the predicate throws', async () => {
    const outcome = await run({
      read: sequence([1]),
      check: () => {
        throw new TypeError('boom');
      },
    });
    expect((outcome as { error: unknown }).error).toMatchObject({
      name: 'PollFatalError',
      hint: expect.stringMatching(/predicate threw/),
    });
  });

  it('runs on an injected clock, clears every timer it set, and uses a custom classifier', async () => {
    const clock = new ManualClock();
    const read = jest
      .fn<Promise<number>, [AbortSignal]>()
      .mockRejectedValueOnce(new Error('odd but retryable'))
      .mockResolvedValue(1);
    const done = pollUntil({
      read,
      check: isAtLeast(1),
      clock,
      random: () => 0.5,
      backoff: { initialMs: 400, maxMs: 400 },
      classifyError: () => ({ kind: 'transient' }),
    });
    while (await clock.fireNext()) {}
    await expect(done).resolves.toEqual({ value: 'reached 1', attempts: 2, elapsedMs: 200 });
    expect(clock.pending()).toBe(0);
  });

  it('stops at once on abort, during a read or a wait, and aborts the read signal', async () => {
    const controller = new AbortController();
    let readSignal: AbortSignal | undefined;
    const read = jest.fn((signal: AbortSignal) => {
      readSignal = signal;
      return new Promise<number>(() => {});
    });
    const settled = pollUntil({ read, check: isAtLeast(1), signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    await jest.advanceTimersByTimeAsync(100);
    controller.abort(new Error('user pressed Ctrl+C'));
    const error = await settled;
    expect(error).toBeInstanceOf(PollAbortedError);
    expect(error).toMatchObject({ attempts: 1, cause: new Error('user pressed Ctrl+C') });
    expect(readSignal?.aborted).toBe(true);

    const waiting = new AbortController();
    const between = pollUntil({ read: sequence([0]), check: isAtLeast(1), signal: waiting.signal }).catch(
      (e: unknown) => e,
    );
    await jest.advanceTimersByTimeAsync(500);
    waiting.abort();
    await expect(between).resolves.toBeInstanceOf(PollAbortedError);
  });

  it('does not read at all when the signal is already aborted', async () => {
    const read = sequence([1]);
    const outcome = await run({ read, check: isAtLeast(1), signal: AbortSignal.abort() });
    expect(read).not.toHaveBeenCalled();
    expect((outcome as { error: unknown }).error).toBeInstanceOf(PollAbortedError);
  });

  it('ignores a late answer or rejection of an abandoned read', async () => {
    let rejectLate: (e: Error) => void = () => {};
    let calls = 0;
    const read = () => {
      calls += 1;
      if (calls === 1) return new Promise<number>((_, reject) => (rejectLate = reject));
      return Promise.resolve(2);
    };
    const outcome = await run({ read, check: isAtLeast(2), readTimeoutMs: 100 });
    rejectLate(new Error('late'));
    await Promise.resolve();
    expect(outcome).toMatchObject({ ok: true, result: { attempts: 2 } });
  });

  it('keeps polling when the onAttempt hook throws', async () => {
    const outcome = await run({
      read: sequence([0, 1]),
      check: isAtLeast(1),
      onAttempt: () => {
        throw new Error('display broke');
      },
    });
    expect(outcome).toMatchObject({ ok: true, result: { attempts: 2 } });
  });

  it.each([
    [{ maxAttempts: 0 }, /maxAttempts/],
    [{ maxAttempts: 2.5 }, /maxAttempts/],
    [{ timeoutMs: Number.NaN }, /timeoutMs/],
    [{ intervalMs: -1 }, /intervalMs/],
    [{ readTimeoutMs: Number.POSITIVE_INFINITY }, /readTimeoutMs/],
    [{ backoff: { initialMs: -5 } }, /backoff.initialMs/],
    [{ read: 'nope' }, /read must be a function/],
    [{ signal: {} }, /signal/],
  ])('rejects bad options %j with PollOptionsError', async (bad, message) => {
    const options = { read: sequence([1]), check: isAtLeast(1), ...bad } as unknown as PollOptions<
      number,
      string
    >;
    await expect(pollUntil(options)).rejects.toThrow(PollOptionsError);
    await expect(pollUntil(options)).rejects.toThrow(message);
  });
});
