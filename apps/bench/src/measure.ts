import { performance } from 'node:perf_hooks';

/** Runs `op` `warmup` times unmeasured, then `iterations` times one after another; returns each time in ms. */
export async function timeSequential(
  warmup: number,
  iterations: number,
  op: (index: number) => Promise<void>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await op(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await op(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** What {@link timeUnderLoad} measured. */
export interface LoadResult {
  samples: number[];
  elapsedMs: number;
}

/**
 * Keeps `inFlight` workers calling `op(worker, call)` back to back. Calls started during the first
 * `warmupMs` are not measured; measuring stops starting new calls after `durationMs` more and waits for
 * those in flight. Any failing call rejects the whole run (a broken run must not report a fast number).
 */
export async function timeUnderLoad(options: {
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  op: (worker: number, call: number) => Promise<void>;
}): Promise<LoadResult> {
  const samples: number[] = [];
  const begin = performance.now();
  const measureFrom = begin + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  let measuredStart = Number.POSITIVE_INFINITY;
  let measuredEnd = measureFrom;
  const worker = async (w: number) => {
    for (let call = 0; ; call++) {
      const started = performance.now();
      if (started >= stopAt) return;
      await options.op(w, call);
      const ended = performance.now();
      if (started >= measureFrom) {
        samples.push(ended - started);
        measuredStart = Math.min(measuredStart, started);
        measuredEnd = Math.max(measuredEnd, ended);
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, (_, w) => worker(w)));
  if (samples.length === 0) throw new Error('no call completed inside the measuring window');
  return { samples, elapsedMs: measuredEnd - measuredStart };
}
