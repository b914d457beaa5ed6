/**
 * Bookkeeping of a reconnect storm (pure: the scenario measures, this counts): after the hub restarts,
 * each device reconnects (noted by the device), is then handed out once for a method call, and is back
 * when that call was answered. Times are `Date.now()` values; everything before the restart is ignored.
 */
export class StormTracker {
  private readonly reconnectedAt = new Map<string, number>();
  private readonly answeredAt = new Map<string, number>();
  private readonly handedOut = new Set<string>();
  private readonly ready: string[] = [];
  private readonly known: ReadonlySet<string>;

  constructor(
    deviceIds: readonly string[],
    /** When the restart began (the old hub was told to stop). */
    readonly restartStartedAt: number,
  ) {
    this.known = new Set(deviceIds);
  }

  /** A device connected at `at`; the first connect after the restart counts, others are ignored. */
  reconnected(deviceId: string, at: number): void {
    if (!this.known.has(deviceId) || at < this.restartStartedAt || this.reconnectedAt.has(deviceId)) return;
    this.reconnectedAt.set(deviceId, at);
    this.ready.push(deviceId);
  }

  /** Devices reconnected since the last call and not yet handed out, in the order they reconnected. */
  takeReady(): string[] {
    const taken = this.ready.splice(0).filter((id) => !this.handedOut.has(id));
    for (const id of taken) this.handedOut.add(id);
    return taken;
  }

  /** The method call to `deviceId` was answered at `at`. */
  answered(deviceId: string, at: number): void {
    if (!this.reconnectedAt.has(deviceId)) {
      throw new Error(`storm: ${deviceId} answered before it was seen to reconnect`);
    }
    if (!this.answeredAt.has(deviceId)) this.answeredAt.set(deviceId, at);
  }

  get reconnectedCount(): number {
    return this.reconnectedAt.size;
  }

  get answeredCount(): number {
    return this.answeredAt.size;
  }

  /** Every device answered a method after the restart. */
  get done(): boolean {
    return this.answeredAt.size === this.known.size;
  }

  /** Devices not yet back (for an error naming them). */
  missing(limit = 5): string[] {
    return [...this.known].filter((id) => !this.answeredAt.has(id)).slice(0, limit);
  }

  /**
   * Milliseconds from the restart: each device's reconnect and answer, and when the last of each came.
   * Throws while a device is not back.
   */
  figures(): {
    reconnectedMs: number[];
    answeredMs: number[];
    allReconnectedMs: number;
    allAnsweredMs: number;
  } {
    if (!this.done) throw new Error(`storm: ${this.known.size - this.answeredAt.size} devices are not back`);
    const since = (times: Iterable<number>) => [...times].map((t) => t - this.restartStartedAt);
    const reconnectedMs = since(this.reconnectedAt.values());
    const answeredMs = since(this.answeredAt.values());
    return {
      reconnectedMs,
      answeredMs,
      allReconnectedMs: Math.max(0, ...reconnectedMs),
      allAnsweredMs: Math.max(0, ...answeredMs),
    };
  }
}
