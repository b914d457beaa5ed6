import { performance } from 'node:perf_hooks';

/**
 * Times several series together: each round runs every op once, in an order that rotates from round to
 * round, so all series see the same moments of a noisy machine and a ratio between them is fair. Warm-up
 * rounds run first, unmeasured. Returns each series' times in ms, keyed like `ops`.
 */
export async function timeInterleaved<K extends string>(
  warmup: number,
  iterations: number,
  ops: Record<K, () => Promise<void>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(ops) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < warmup + iterations; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as K;
      const started = performance.now();
      await ops[name]();
      if (round >= warmup) samples[name].push(performance.now() - started);
    }
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
