import type { CallOutcome } from '../service/call-outcome';

/** Counts of one soak run. */
export interface SoakTally {
  /** Reboot calls made. */
  calls: number;
  /** Calls answered 200 with a reboot time. */
  rebooted: number;
  /** Every other ending, by kind (`timed-out`, `answered 500`, `failed ECONNRESET`…): all unexpected. */
  unexpected: Record<string, number>;
}

/** An empty tally. */
export function newTally(): SoakTally {
  return { calls: 0, rebooted: 0, unexpected: {} };
}

/**
 * Adds one call's outcome. In a soak every device has at most one call in flight and the network is
 * healthy, so anything but "200 rebooted" is a failure to explain.
 */
export function tallyCall(tally: SoakTally, outcome: CallOutcome): SoakTally {
  const next = { ...tally, calls: tally.calls + 1 };
  if (outcome.kind === 'answered' && outcome.status === 200 && rebootTimeOf(outcome.payload) !== undefined) {
    return { ...next, rebooted: next.rebooted + 1 };
  }
  const key =
    outcome.kind === 'answered'
      ? `answered ${outcome.status}`
      : outcome.kind === 'failed'
        ? `failed ${outcome.reason}`
        : outcome.kind;
  return { ...next, unexpected: { ...next.unexpected, [key]: (next.unexpected[key] ?? 0) + 1 } };
}

/** The `rebootTime` a 200 answer carries, as ISO text, if any. */
export function rebootTimeOf(payload: unknown): string | undefined {
  const value = (payload as { rebootTime?: unknown } | null | undefined)?.rebootTime;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** Total unexpected outcomes. */
export function unexpectedCount(tally: SoakTally): number {
  return Object.values(tally.unexpected).reduce((sum, n) => sum + n, 0);
}
