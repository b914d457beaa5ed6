/** Which way a chunk travels: `upstream` is client → target (device → hub), `downstream` the reply path. */
export type Direction = 'upstream' | 'downstream';

/** What a link does with traffic, set per connection by the proxy's controls. */
export type LinkMode =
  /** Forward both ways (after the link's latency). */
  | { kind: 'pass' }
  /** Stop forwarding both ways; both sockets stay open, so neither side sees a close. */
  | { kind: 'drop' }
  /** Stop forwarding one way only and never close: each side believes the other is still there. */
  | { kind: 'half-open'; blocked: Direction };

/** The scheduling state of one proxied connection. */
export interface LinkState {
  readonly mode: LinkMode;
  /** Added to every forwarded chunk, in each direction. */
  readonly latencyMs: number;
  /** When the last chunk in each direction is due: a later chunk is never due before it. */
  readonly lastDueMs: Readonly<Record<Direction, number>>;
}

/** What to do with one chunk. */
export type ChunkPlan = { action: 'discard' } | { action: 'deliver'; dueMs: number };

/** A fresh link: passing traffic with `latencyMs` of delay. */
export function newLink(latencyMs = 0): LinkState {
  return { mode: { kind: 'pass' }, latencyMs, lastDueMs: { upstream: 0, downstream: 0 } };
}

/** Whether `mode` forwards traffic travelling in `direction`. */
export function forwards(mode: LinkMode, direction: Direction): boolean {
  if (mode.kind === 'pass') return true;
  if (mode.kind === 'drop') return false;
  return mode.blocked !== direction;
}

/**
 * Plans a chunk that arrived at `nowMs`. Delivery keeps byte order (TCP's promise): a chunk is due
 * after its latency but never before the previous chunk in the same direction, even when the latency
 * was just lowered.
 */
export function planChunk(
  state: LinkState,
  direction: Direction,
  nowMs: number,
): { plan: ChunkPlan; state: LinkState } {
  if (!forwards(state.mode, direction)) return { plan: { action: 'discard' }, state };
  const dueMs = Math.max(nowMs + state.latencyMs, state.lastDueMs[direction]);
  return {
    plan: { action: 'deliver', dueMs },
    state: { ...state, lastDueMs: { ...state.lastDueMs, [direction]: dueMs } },
  };
}

/** Validates a latency given to the proxy's controls. */
export function checkLatency(latencyMs: number): number {
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 600_000) {
    throw new RangeError(`latency must be between 0 and 600000 ms, got ${latencyMs}`);
  }
  return latencyMs;
}
