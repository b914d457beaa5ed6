import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock';
import { loggable, RebootHandlerError } from './errors';
import { classifyOpenFailure } from './open-failure';
import { silentLogger } from './silent-logger';

/**
 * The slice of an `azure-iot-device` `Client` (or `ModuleClient`) that {@link keepConnected} needs:
 * `open()` (promise form) and the `disconnect` event.
 */
export interface ReconnectableClient {
  open(): Promise<unknown>;
  on(event: 'disconnect', listener: () => void): unknown;
  removeListener(event: 'disconnect', listener: () => void): unknown;
}

/** Bounds of the reopen backoff. */
export interface ReconnectBackoff {
  /** Upper bound of the first wait; it doubles per failed attempt. Default 1000 ms. */
  initialMs: number;
  /** Cap of the wait. Default 30000 ms. */
  maxMs: number;
}

/** The defaults of {@link ReconnectBackoff}. */
export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { initialMs: 1_000, maxMs: 30_000 };

/** Options of {@link openWithRetry} and {@link keepConnected}. */
export interface OpenRetryOptions {
  /** Stops retrying (a wait is cut short; an `open()` under way is let finish). */
  signal?: AbortSignal;
  /** Default: a silent pino logger. */
  logger?: Logger;
  backoff?: Partial<ReconnectBackoff>;
  /**
   * Whether an `open()` failure is final. Default {@link isFatalOpenFailure}: refused credentials or an
   * untrusted hub certificate, which no retry can fix (see {@link classifyOpenFailure}).
   */
  isFatal?: (err: unknown) => boolean;
  /** Default the system clock (fake timers in tests). */
  clock?: Clock;
  /** Uniform in [0, 1), for the jitter; default `Math.random`. */
  random?: () => number;
}

/** Options of {@link keepConnected}. */
export interface KeepConnectedOptions extends OpenRetryOptions {
  /**
   * Runs after each successful reopen, e.g. `reportPendingReboot` (an owed report needs a connection).
   * A rejection is logged, never thrown.
   */
  onReconnected?: () => unknown;
  /** Called when a reopen failed with a fatal error: the keeper has stopped. */
  onFatal?: (err: unknown) => void;
}

/** The handle of {@link keepConnected}. */
export interface ConnectionKeeper {
  /** Whether a reopen is under way. */
  readonly reconnecting: boolean;
  /** Successful reopens so far. */
  readonly reconnects: number;
  /**
   * Stops reacting to `disconnect` and cuts a backoff wait short; resolves once a reopen under way (and
   * its `onReconnected`) has ended. Call it before `client.close()`.
   */
  stop(): Promise<void>;
}

/** Raised by {@link openWithRetry} when its signal stops it before the client opened. */
export class OpenAbortedError extends RebootHandlerError {
  override name = 'OpenAbortedError';
}

/**
 * The default of `isFatal`: the hub refused the credentials or its certificate is not trusted. A refused or
 * dropped connection is retried, although the SDK names it `UnauthorizedError` too.
 */
export const isFatalOpenFailure = (err: unknown): boolean => {
  const kind = classifyOpenFailure(err);
  return kind === 'credentials-refused' || kind === 'untrusted-certificate';
};

/**
 * Opens `client`, retrying with capped exponential backoff and jitter (the wait after the n-th failure is
 * uniform in [½, 1] × min(maxMs, initialMs × 2^(n−1))) until it opens. Rejects with the error when
 * `isFatal` says so (default: refused credentials or an untrusted certificate), or {@link OpenAbortedError} once `signal` fires.
 */
export async function openWithRetry(
  client: ReconnectableClient,
  options: OpenRetryOptions = {},
): Promise<void> {
  const settings = resolve(options);
  const { signal, logger: log, clock, random, isFatal, backoff } = settings;
  for (let failures = 0; ; ) {
    if (signal?.aborted) throw new OpenAbortedError('stopped before the client opened');
    try {
      await client.open();
      return;
    } catch (err) {
      if (isFatal(err)) throw err;
      failures += 1;
      const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1));
      const delayMs = Math.round(ceiling * (0.5 + random() / 2));
      log.warn({ err: loggable(err), failures, retryInMs: delayMs }, 'Could not connect; retrying');
      await abortableSleep(clock, delayMs, signal);
    }
  }
}

/**
 * Keeps `client` connected. `azure-iot-device` retries a link that closed (keep-alive timeout, FIN) by
 * itself, but when its retry policy gives up, or a socket error such as a TCP reset reaches it (it judges
 * that not retryable), it emits `disconnect` and stays down for good. On `disconnect` this reopens the
 * client with {@link openWithRetry}'s backoff, one reopen at a time (more `disconnect`s meanwhile are
 * ignored), then calls `onReconnected`. Stops on `signal` or `stop()`, and on a fatal open error.
 * Call it once the client is open (the first `open()` is the caller's, e.g. with {@link openWithRetry}).
 */
export function keepConnected(
  client: ReconnectableClient,
  options: KeepConnectedOptions = {},
): ConnectionKeeper {
  if (typeof client?.open !== 'function' || typeof client.on !== 'function') {
    throw new RebootHandlerError('client must have open() and on()');
  }
  const settings = resolve(options);
  const log = settings.logger;
  // Our own controller, fired by stop() and by the caller's signal, so either cuts a backoff wait.
  const stopper = new AbortController();
  const { signal } = stopper;
  let running: Promise<void> | undefined;
  // Every reopen so far (and its onReconnected), for stop() to wait on.
  let last: Promise<void> = Promise.resolve();
  let reconnects = 0;

  const reopen = async () => {
    try {
      await openWithRetry(client, { ...settings, signal });
    } catch (err) {
      if (err instanceof OpenAbortedError) return;
      log.error({ err: loggable(err) }, 'Cannot reconnect: giving up');
      detach();
      options.onFatal?.(err);
      return;
    }
    reconnects += 1;
    log.info({ reconnects }, 'Reconnected to IoT Hub');
    running = undefined; // a disconnect from here on starts a new reopen
    if (signal.aborted || options.onReconnected === undefined) return;
    try {
      await options.onReconnected();
    } catch (err) {
      log.warn({ err: loggable(err) }, 'onReconnected failed');
    }
  };

  const onDisconnect = () => {
    if (signal.aborted || running !== undefined) return;
    log.warn('Disconnected and the SDK stopped retrying: reopening');
    const run: Promise<void> = reopen().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    // A new reopen may start while the previous one's onReconnected still runs: stop() waits for both.
    last = Promise.all([last, run]).then(() => undefined);
  };
  const detach = () => client.removeListener('disconnect', onDisconnect);
  const halt = () => {
    detach();
    stopper.abort();
  };
  client.on('disconnect', onDisconnect);
  if (settings.signal?.aborted) halt();
  settings.signal?.addEventListener('abort', halt, { once: true });

  return {
    get reconnecting() {
      return running !== undefined;
    },
    get reconnects() {
      return reconnects;
    },
    async stop() {
      settings.signal?.removeEventListener('abort', halt);
      halt();
      await last;
    },
  };
}

type Resolved = Required<Omit<OpenRetryOptions, 'signal' | 'backoff'>> & {
  signal: AbortSignal | undefined;
  backoff: ReconnectBackoff;
};

function resolve(options: OpenRetryOptions): Resolved {
  const backoff = { ...DEFAULT_RECONNECT_BACKOFF, ...options.backoff };
  for (const [key, value] of Object.entries(backoff)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RebootHandlerError(`backoff.${key} must be an integer >= 0, got ${String(value)}`);
    }
  }
  return {
    signal: options.signal,
    logger: options.logger ?? silentLogger,
    backoff,
    isFatal: options.isFatal ?? isFatalOpenFailure,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };
}

/** Resolves after `ms`, or at once (without leaving a timer) when `signal` fires. */
function abortableSleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted) return done();
    const finish = () => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      done();
    };
    const timer = clock.setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });
}
