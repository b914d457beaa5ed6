/**
 * A concurrency limit that adapts to latency (the gradient idea of Netflix's concurrency-limits): while
 * an operation takes about as long as the quickest seen, the limit grows; as latency climbs above that
 * (a queue is building somewhere: the hub's CPU, its accept backlog), it shrinks in proportion, and a
 * failure halves it. Pure: the caller measures and reports.
 */
export class AdaptiveLimit {
  private current: number;
  private minLatencyMs = Number.POSITIVE_INFINITY;
  private smoothedMs: number | undefined;

  constructor(
    private readonly bounds: { initial: number; min: number; max: number; tolerance?: number } = {
      initial: 16,
      min: 1,
      max: 500,
    },
  ) {
    if (!(bounds.min >= 1 && bounds.min <= bounds.initial && bounds.initial <= bounds.max)) {
      throw new RangeError('bounds must satisfy 1 ≤ min ≤ initial ≤ max');
    }
    this.current = bounds.initial;
  }

  /** How many operations may be in flight now (a whole number ≥ min). */
  get limit(): number {
    return Math.floor(this.current);
  }

  /** One operation finished after `latencyMs`. */
  succeeded(latencyMs: number): void {
    if (!(latencyMs >= 0)) return;
    this.minLatencyMs = Math.min(this.minLatencyMs, Math.max(latencyMs, 0.1));
    this.smoothedMs = this.smoothedMs === undefined ? latencyMs : this.smoothedMs * 0.9 + latencyMs * 0.1;
    const tolerance = this.bounds.tolerance ?? 3;
    // 1 while latency stays within `tolerance` × the quickest: grow by √limit per limit's worth of
    // successes; above it, shrink a little per success (2 % at most), so one noisy moment on a shared
    // machine does not collapse the limit, while a lasting queue does bring it down.
    const gradient = Math.max(0.98, Math.min(1, (tolerance * this.minLatencyMs) / this.smoothedMs));
    const grown = this.current * gradient + (gradient === 1 ? Math.sqrt(this.current) / this.current : 0);
    this.current = clamp(grown, this.bounds.min, this.bounds.max);
  }

  /** One operation failed (refused, timed out): back off by half. */
  failed(): void {
    this.current = clamp(this.current / 2, this.bounds.min, this.bounds.max);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}

/**
 * Runs `task` over `items` with at most `limiter.limit` in flight, re-read each time one ends. A task that
 * throws is retried (up to `attempts` in all, the limit halved each time); the last error rejects the run
 * once every started task has settled.
 */
export async function forEachAdaptive<T>(
  items: readonly T[],
  limiter: AdaptiveLimit,
  task: (item: T) => Promise<void>,
  attempts = 3,
): Promise<void> {
  let next = 0;
  let running = 0;
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (failure === undefined && running < limiter.limit && next < items.length) {
        const item = items[next++] as T;
        running++;
        void runOne(item).finally(() => {
          running--;
          pump();
        });
      }
      if (running === 0 && (next >= items.length || failure !== undefined)) resolve();
    };
    const runOne = async (item: T) => {
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        try {
          await task(item);
          limiter.succeeded(performance.now() - started);
          return;
        } catch (err) {
          limiter.failed();
          if (attempt >= attempts) {
            failure ??= err;
            return;
          }
        }
      }
    };
    pump();
  });
  if (failure !== undefined) throw failure;
}
