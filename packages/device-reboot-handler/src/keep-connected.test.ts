import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { keepConnected, OpenAbortedError, openWithRetry } from './keep-connected';
import { captureLogger, deferred } from './test-support/fake-client';

/** A client whose `open()` follows a script: 'ok', an Error to reject with, or a deferred to wait on. */
class ScriptedClient extends EventEmitter {
  readonly script: Array<'ok' | Error | Promise<void>> = [];
  opens = 0;
  /** `open()` calls running at once, at most. */
  maxConcurrentOpens = 0;
  private inFlight = 0;

  async open(): Promise<void> {
    this.opens += 1;
    this.inFlight += 1;
    this.maxConcurrentOpens = Math.max(this.maxConcurrentOpens, this.inFlight);
    try {
      const step = this.script.shift() ?? 'ok';
      if (step instanceof Error) throw step;
      if (step !== 'ok') await step;
    } finally {
      this.inFlight -= 1;
    }
  }
}

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const unauthorized = () =>
  Object.assign(new Error('Connection refused: Not authorized'), { name: 'UnauthorizedError' });

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-28T04:00:00.000Z') }));
afterEach(() => {
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

describe('keepConnected', () => {
  it('reopens on disconnect with growing, jittered waits, then calls onReconnected once', async () => {
    const client = new ScriptedClient();
    client.script.push(reset(), reset(), reset(), 'ok');
    const onReconnected = jest.fn();
    const { logger, lines } = captureLogger();
    const keeper = keepConnected(client, {
      onReconnected,
      logger,
      random: () => 0, // the lower edge of the jitter: half of each ceiling
      backoff: { initialMs: 100, maxMs: 300 },
    });
    client.emit('disconnect');
    expect(keeper.reconnecting).toBe(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(client.opens).toBe(1);
    await jest.advanceTimersByTimeAsync(49);
    expect(client.opens).toBe(1);
    await jest.advanceTimersByTimeAsync(1); // 50 = ½ × 100
    expect(client.opens).toBe(2);
    await jest.advanceTimersByTimeAsync(100); // ½ × 200
    expect(client.opens).toBe(3);
    await jest.advanceTimersByTimeAsync(150); // ½ × min(300, 400)
    expect(client.opens).toBe(4);
    expect(onReconnected).toHaveBeenCalledTimes(1);
    expect(keeper).toMatchObject({ reconnecting: false, reconnects: 1 });
    expect(lines.filter((l) => l.msg === 'Could not connect; retrying').map((l) => l.retryInMs)).toEqual([
      50, 100, 150,
    ]);
    await keeper.stop();
    expect(client.listenerCount('disconnect')).toBe(0);
  });

  it('runs one reopen at a time, however many disconnects arrive meanwhile', async () => {
    const client = new ScriptedClient();
    const opening = deferred();
    client.script.push(opening.promise);
    const onReconnected = jest.fn();
    const keeper = keepConnected(client, { onReconnected });
    for (let i = 0; i < 5; i += 1) client.emit('disconnect');
    await jest.advanceTimersByTimeAsync(0);
    expect(client.opens).toBe(1);
    opening.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(onReconnected).toHaveBeenCalledTimes(1);
    // A later disconnect starts a new reopen.
    client.emit('disconnect');
    await jest.advanceTimersByTimeAsync(0);
    expect(client.opens).toBe(2);
    expect(client.maxConcurrentOpens).toBe(1);
    expect(onReconnected).toHaveBeenCalledTimes(2);
    await keeper.stop();
  });

  it('stops on abort during a backoff wait: no further open, no timer left', async () => {
    const client = new ScriptedClient();
    client.script.push(reset(), reset());
    const controller = new AbortController();
    const onReconnected = jest.fn();
    keepConnected(client, { signal: controller.signal, onReconnected });
    client.emit('disconnect');
    await jest.advanceTimersByTimeAsync(0);
    expect(client.opens).toBe(1);
    controller.abort();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(client.opens).toBe(1);
    expect(onReconnected).not.toHaveBeenCalled();
    client.emit('disconnect');
    expect(client.listenerCount('disconnect')).toBe(0);
  });

  it('stop() waits for an open under way and skips onReconnected', async () => {
    const client = new ScriptedClient();
    const opening = deferred();
    client.script.push(opening.promise);
    const onReconnected = jest.fn();
    const keeper = keepConnected(client, { onReconnected });
    client.emit('disconnect');
    await jest.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = keeper.stop().then(() => {
      stopped = true;
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    opening.resolve();
    await stopping;
    expect(onReconnected).not.toHaveBeenCalled();
  });

  it('gives up on refused credentials and says so', async () => {
    const client = new ScriptedClient();
    client.script.push(unauthorized());
    const onFatal = jest.fn();
    const { logger, lines } = captureLogger();
    keepConnected(client, { onFatal, logger });
    client.emit('disconnect');
    await jest.advanceTimersByTimeAsync(0);
    expect(onFatal).toHaveBeenCalledWith(expect.objectContaining({ name: 'UnauthorizedError' }));
    expect(lines.some((l) => l.msg === 'Cannot reconnect: giving up')).toBe(true);
    expect(client.listenerCount('disconnect')).toBe(0);
  });

  it('logs a failing onReconnected and keeps working; logs carry no secret', async () => {
    const client = new ScriptedClient();
    client.script.push(new Error('connect failed for HostName=h;SharedAccessKey=c2VjcmV0'), 'ok');
    const { logger, lines } = captureLogger();
    const keeper = keepConnected(client, {
      logger,
      onReconnected: () => Promise.reject(new Error('twin down')),
      backoff: { initialMs: 10, maxMs: 10 },
    });
    client.emit('disconnect');
    await jest.advanceTimersByTimeAsync(10);
    expect(lines.some((l) => l.msg === 'onReconnected failed')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('c2VjcmV0');
    expect(keeper.reconnects).toBe(1);
    await keeper.stop();
  });

  it('refuses a client without open() or on()', () => {
    expect(() => keepConnected({} as never)).toThrow(/open\(\) and on\(\)/);
  });

  it('waits stay within [½, 1] of the doubling ceiling, capped (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 5000 }),
        async (randoms, initialMs, maxMs) => {
          const client = new ScriptedClient();
          client.script.push(...randoms.map(() => reset()));
          const { logger, lines } = captureLogger();
          let i = 0;
          const done = openWithRetry(client, {
            logger,
            backoff: { initialMs, maxMs },
            random: () => randoms[i++] ?? 0,
          });
          await jest.runAllTimersAsync();
          await done;
          const waits = lines.map((l) => l.retryInMs as number);
          waits.forEach((wait, n) => {
            const ceiling = Math.min(maxMs, initialMs * 2 ** n);
            expect(wait).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
            expect(wait).toBeLessThanOrEqual(ceiling);
          });
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('openWithRetry', () => {
  it('rejects with the fatal error at once, and with OpenAbortedError once aborted', async () => {
    const client = new ScriptedClient();
    client.script.push(unauthorized());
    await expect(openWithRetry(client)).rejects.toMatchObject({ name: 'UnauthorizedError' });
    expect(client.opens).toBe(1);

    client.script.push(reset());
    const controller = new AbortController();
    const opening = openWithRetry(client, { signal: controller.signal });
    await jest.advanceTimersByTimeAsync(0);
    controller.abort();
    await expect(opening).rejects.toBeInstanceOf(OpenAbortedError);
    expect(client.opens).toBe(2);
  });
});
