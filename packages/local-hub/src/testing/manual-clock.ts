import type { Timers } from '../timers';

/**
 * A clock and timers that move only when a test says so: `advance(ms)` moves the time and runs every timer
 * that falls due, in time order. For the hub's throttle (`quotaClock` / `quotaTimers`) in suites whose
 * sockets and SDK clients need real timers, where jest's fake timers would stop them too.
 */
export class ManualClock implements Timers {
  private time: number;
  private pending: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(start = 1_000_000) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t !== handle);
  }

  /** Moves the time on by `ms`, running each timer due by then at its own time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }

  /** Timers not yet run (a closed hub must leave none). */
  pendingCount(): number {
    return this.pending.length;
  }
}
