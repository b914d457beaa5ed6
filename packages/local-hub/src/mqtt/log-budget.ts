/**
 * A per-client budget for log lines about what a client sends: any authenticated device can send packets
 * that each deserve a warning, and must not be able to turn the hub's log into its amplifier (one 260 KB
 * SUBSCRIBE used to write 44,600 lines). Each key gets `lines` per `windowMs`; lines over it are counted
 * and the count reported by the next line allowed.
 */
export class LogBudget {
  private readonly windows = new Map<string, { start: number; used: number; suppressed: number }>();

  constructor(
    private readonly lines = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined: stay silent; otherwise write the line, noting `suppressed` lines left out before it. */
  take(key: string): { suppressed: number } | undefined {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.prune(now);
      window = { start: now, used: 0, suppressed: window?.suppressed ?? 0 };
      this.windows.set(key, window);
    }
    if (window.used >= this.lines) {
      window.suppressed += 1;
      return undefined;
    }
    window.used += 1;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { suppressed };
  }

  /** Keys are client ids a client chooses: drop expired windows so the map cannot grow without bound. */
  private prune(now: number): void {
    if (this.windows.size < 1024) return;
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(key);
    }
  }
}
