import { performance } from 'node:perf_hooks';
import type { Twin as DeviceTwin } from 'azure-iot-device';

/**
 * A count another thread bumps (`Atomics.add(new Int32Array(buffer), 0, 1)`) and this one reads at any
 * instant, without a message round trip. The flood suites count the flooder's answers with it while a
 * well-behaved client waits for one of its own: work against work done at the same moment, so the
 * machine's speed and its other load cancel out, where a latency measured before the flood and compared
 * with one measured during it does not (the hub runs on the test's thread).
 */
export class SharedCount {
  /** Hand this to the other thread (`workerData`). */
  readonly buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  private readonly view = new Int32Array(this.buffer);

  get value(): number {
    return Atomics.load(this.view, 0);
  }

  /** How far the other thread counted while `work` ran. */
  async during(work: () => Promise<unknown>): Promise<number> {
    const before = this.value;
    await work();
    return this.value - before;
  }
}

/** Medians of `rounds` well-behaved calls of each kind, taken in turn. */
export interface WellBehavedFigures {
  /** Latency of a reported-properties update, ms. */
  reported: number;
  /** Latency of `GET /health`, ms. */
  health: number;
  /** Flood answers written while one reported update waited. */
  floodPerReported: number;
  /** Flood answers written while one `/health` waited. */
  floodPerHealth: number;
}

/** A device's reported-properties update through the device SDK, as a promise. */
export function reportedUpdate(twin: DeviceTwin, patch: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())),
  );
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Times `rounds` reported updates on `twin` and `health` checks, in turn, counting `answers` during each. */
export async function measureWellBehaved(options: {
  rounds: number;
  twin: DeviceTwin;
  health: () => Promise<unknown>;
  answers: SharedCount;
}): Promise<WellBehavedFigures> {
  const latency = { reported: [] as number[], health: [] as number[] };
  const flood = { reported: [] as number[], health: [] as number[] };
  const round = async (kind: 'reported' | 'health', work: () => Promise<unknown>) => {
    flood[kind].push(await options.answers.during(async () => latency[kind].push(await timed(work))));
  };
  for (let i = 0; i < options.rounds; i += 1) {
    await round('reported', () => reportedUpdate(options.twin, { i }));
    await round('health', options.health);
  }
  return {
    reported: median(latency.reported),
    health: median(latency.health),
    floodPerReported: median(flood.reported),
    floodPerHealth: median(flood.health),
  };
}
