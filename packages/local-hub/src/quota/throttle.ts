import { HubError } from '../errors';
import { systemTimers, type Timers } from '../timers';
import { OPERATION_CLASSES, type OperationClass, type QuotaSpec, quotaRates } from './rates';
import { type Clock, TokenBucket } from './token-bucket';

/** One operation waiting for its class's tokens. */
interface Queued {
  cost: number;
  resolve: (admitted: boolean) => void;
  reject: (err: Error) => void;
  /** Settles a waiter when the hub closes: shaped requests fail, paced work is told to stop. */
  onClose: 'reject' | 'stop';
}

/**
 * The hub's opt-in operation throttles: one token bucket per operation class at IoT Hub's published rates
 * for the tier and units (see rates.ts). Without a spec nothing is throttled or delayed.
 *
 * Three ways to count an operation against its class:
 * - {@link admit}: *traffic shaping*, for every operation a client sends (REST calls, device twin requests,
 *   D2C sends) — over the rate it waits in a bounded FIFO backlog and is processed at the limit rate; once
 *   the backlog is full it is refused with 429 (429002 ThrottleBacklogLimitExceeded). IoT Hub: operation
 *   throttles are "subject to traffic shaping"; "if the number of requests continues to violate the
 *   throttle, IoT Hub starts placing the requests in a queue and processed at the limit rate … the size of
 *   this queue is limited … IoT Hub starts rejecting requests with 429 ThrottlingException" ("IoT Hub quotas
 *   and throttling", Traffic shaping);
 * - {@link tryTake}: over the rate it is refused at once (new device connections: CONNACK 3);
 * - {@link pace}: waits its turn without bound (jobs' device operations, which IoT Hub paces, not refuses).
 *
 * The backlog holds one window's worth of tokens (as much again as the burst: 1 s of twin reads, 60 s of
 * queries), so a request waits at most about one window; IoT Hub publishes no backlog size. Counting tokens,
 * not requests, keeps that bound for direct methods, whose calls cost their payload in 4 KB meters.
 */
export class HubThrottle {
  private readonly buckets: Partial<Record<OperationClass, TokenBucket>> = {};
  private readonly backlogLimit: Partial<Record<OperationClass, number>> = {};
  private readonly queues = Object.fromEntries(OPERATION_CLASSES.map((c) => [c, []])) as unknown as Record<
    OperationClass,
    Queued[]
  >;
  /** Tokens the waiting operations of each class will take (what the backlog limit bounds). */
  private readonly queuedCost = Object.fromEntries(OPERATION_CLASSES.map((c) => [c, 0])) as Record<
    OperationClass,
    number
  >;
  private readonly wakeTimers: Partial<Record<OperationClass, unknown>> = {};
  private readonly refused: Record<OperationClass, number>;
  private waiters: { operation: OperationClass; resolve: () => void }[] = [];
  private backlogWaiters: {
    operation: OperationClass;
    reached: (length: number) => boolean;
    resolve: () => void;
  }[] = [];
  private closed = false;

  constructor(
    readonly spec: QuotaSpec | undefined,
    clock: Clock = Date.now,
    private readonly timers: Timers = systemTimers,
  ) {
    this.refused = Object.fromEntries(OPERATION_CLASSES.map((c) => [c, 0])) as Record<OperationClass, number>;
    if (!spec) return;
    const rates = quotaRates(spec);
    for (const operation of OPERATION_CLASSES) {
      const { perSecond, burst } = rates[operation];
      this.buckets[operation] = new TokenBucket(perSecond, burst, clock);
      // IoT Hub publishes no backlog size: one window's worth of tokens (as much again as the burst).
      this.backlogLimit[operation] = Math.max(1, Math.floor(burst));
    }
  }

  /** Whether an operation of this class may run now (and takes its tokens if so). */
  tryTake(operation: OperationClass, cost = 1): boolean {
    const bucket = this.buckets[operation];
    if (!bucket || bucket.take(cost)) return true;
    this.refuse(operation);
    return false;
  }

  /**
   * Traffic shaping: resolves when the operation may run — at once within the rate, else in its turn from
   * the backlog. Rejects with 429 ThrottleBacklogLimitExceeded when the backlog is full, and with
   * ServiceUnavailable when the hub closes while it waits. `signal` withdraws a waiting operation (its
   * sender went away), freeing its place in the backlog; it then rejects with the signal's reason.
   */
  admit(operation: OperationClass, cost = 1, signal?: AbortSignal): Promise<void> {
    if (this.admitsNow(operation, cost)) return Promise.resolve();
    const bucket = this.buckets[operation] as TokenBucket;
    if (this.closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queuedCost[operation] + bucket.capped(cost) > (this.backlogLimit[operation] ?? 0)) {
      this.refuse(operation);
      return Promise.reject(this.backlogFullError(operation));
    }
    return this.enqueue(operation, cost, 'reject', signal).then(() => undefined);
  }

  /**
   * Whether an operation may run at once, within the rate and with none of its class waiting (and takes
   * its tokens if so); `false` takes nothing, and {@link admit} then queues it. Lets a caller skip what
   * only a wait needs (REST: a withdrawal signal per request).
   */
  admitsNow(operation: OperationClass, cost = 1): boolean {
    const bucket = this.buckets[operation];
    return !bucket || (this.queues[operation].length === 0 && bucket.take(cost));
  }

  /**
   * Pacing: resolves `true` when the operation may run (at once, or once its class has tokens again; never
   * refused), `false` if the hub closed meanwhile (the caller should stop).
   */
  pace(operation: OperationClass, cost = 1): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.admitsNow(operation, cost)) return Promise.resolve(true);
    return this.enqueue(operation, cost, 'stop');
  }

  /** How many operations of this class wait in its backlog now. */
  backlog(operation: OperationClass): number {
    return this.queues[operation].length;
  }

  /** Resolves once at least `length` operations of this class wait in its backlog. */
  whenBacklog(operation: OperationClass, length: number): Promise<void> {
    return this.whenBacklogIs(operation, (n) => n >= length);
  }

  /** Resolves once at most `length` operations of this class wait (e.g. a withdrawn one has left). */
  whenBacklogAtMost(operation: OperationClass, length: number): Promise<void> {
    return this.whenBacklogIs(operation, (n) => n <= length);
  }

  /** Resolves at the next refusal of this class: lets a test act once a client has been throttled. */
  nextRefusal(operation: OperationClass): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ operation, resolve }));
  }

  /** How many operations of each class were refused so far. */
  refusedCounts(): Readonly<Record<OperationClass, number>> {
    return { ...this.refused };
  }

  /** The hub is closing: settles every waiting operation and clears the wake-up timers. */
  close(): void {
    this.closed = true;
    for (const operation of OPERATION_CLASSES) {
      const handle = this.wakeTimers[operation];
      if (handle !== undefined) this.timers.clearTimeout(handle);
      delete this.wakeTimers[operation];
      this.queuedCost[operation] = 0;
      for (const waiter of this.queues[operation].splice(0)) {
        if (waiter.onClose === 'stop') waiter.resolve(false);
        else waiter.reject(closedError());
      }
      this.backlogChanged(operation);
    }
  }

  private whenBacklogIs(operation: OperationClass, reached: (length: number) => boolean): Promise<void> {
    if (reached(this.backlog(operation))) return Promise.resolve();
    return new Promise((resolve) => this.backlogWaiters.push({ operation, reached, resolve }));
  }

  private backlogChanged(operation: OperationClass): void {
    const length = this.queues[operation].length;
    const reached = this.backlogWaiters.filter((w) => w.operation === operation && w.reached(length));
    if (reached.length === 0) return;
    this.backlogWaiters = this.backlogWaiters.filter((w) => !reached.includes(w));
    for (const waiter of reached) waiter.resolve();
  }

  private enqueue(
    operation: OperationClass,
    cost: number,
    onClose: Queued['onClose'],
    signal?: AbortSignal,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Queued = { cost, resolve, reject, onClose };
      if (signal) {
        const withdraw = () => {
          const queue = this.queues[operation];
          const at = queue.indexOf(waiter);
          if (at < 0) return;
          queue.splice(at, 1);
          this.queuedCost[operation] -= this.capped(operation, cost);
          reject(signal.reason);
          this.backlogChanged(operation);
          // The head may have left: the next one's wake-up is computed afresh.
          this.rearm(operation);
        };
        signal.addEventListener('abort', withdraw, { once: true });
        const settle = (fn: () => void) => {
          signal.removeEventListener('abort', withdraw);
          fn();
        };
        waiter.resolve = (admitted) => settle(() => resolve(admitted));
        waiter.reject = (err) => settle(() => reject(err));
      }
      this.queues[operation].push(waiter);
      this.queuedCost[operation] += this.capped(operation, cost);
      this.backlogChanged(operation);
      this.arm(operation);
    });
  }

  /** Lets queued operations through in order while their class has tokens, then waits for the next. */
  private drain(operation: OperationClass): void {
    delete this.wakeTimers[operation];
    const bucket = this.buckets[operation];
    const queue = this.queues[operation];
    let changed = false;
    while (bucket && queue.length > 0 && bucket.take((queue[0] as Queued).cost)) {
      const waiter = queue.shift() as Queued;
      this.queuedCost[operation] -= this.capped(operation, waiter.cost);
      waiter.resolve(true);
      changed = true;
    }
    if (changed) this.backlogChanged(operation);
    this.arm(operation);
  }

  private rearm(operation: OperationClass): void {
    const handle = this.wakeTimers[operation];
    if (handle !== undefined) this.timers.clearTimeout(handle);
    delete this.wakeTimers[operation];
    this.arm(operation);
  }

  private capped(operation: OperationClass, cost: number): number {
    return this.buckets[operation]?.capped(cost) ?? cost;
  }

  private arm(operation: OperationClass): void {
    const head = this.queues[operation][0];
    const bucket = this.buckets[operation];
    if (!head || !bucket || this.closed || this.wakeTimers[operation] !== undefined) return;
    const delayMs = Math.max(1, Math.ceil(bucket.secondsUntil(head.cost) * 1000));
    this.wakeTimers[operation] = this.timers.setTimeout(() => this.drain(operation), delayMs);
  }

  private refuse(operation: OperationClass): void {
    this.refused[operation] += 1;
    const woken = this.waiters.filter((w) => w.operation === operation);
    this.waiters = this.waiters.filter((w) => w.operation !== operation);
    for (const waiter of woken) waiter.resolve();
  }

  private backlogFullError(operation: OperationClass): HubError {
    return new HubError(
      'ThrottleBacklogLimitExceeded',
      `The ${this.spec?.tier} hub's ${operation} throttle is exceeded and its backlog is full; back off and retry.`,
    );
  }
}

function closedError(): HubError {
  return new HubError('ServiceUnavailable', 'The hub is shutting down.');
}
