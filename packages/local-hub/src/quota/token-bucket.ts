/** Milliseconds now; injectable so tests drive time (Date.now in the hub). */
export type Clock = () => number;

/**
 * A token bucket: `perSecond` tokens refill continuously up to `burst`; an operation that finds `cost`
 * tokens takes them, else it is refused and takes nothing. Pure apart from the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock();
  }

  /** Takes `cost` tokens if the bucket holds them. */
  take(cost = 1): boolean {
    this.refill();
    // A cost above the burst could never pass: let it through when the bucket is full, as one meter's worth.
    const needed = Math.min(cost, this.burst);
    if (this.tokens + 1e-9 < needed) return false;
    this.tokens -= needed;
    return true;
  }

  /** The tokens an operation of `cost` takes: a cost above the burst counts as a full bucket. */
  capped(cost: number): number {
    return Math.min(cost, this.burst);
  }

  /** Seconds until `cost` tokens are there (0 when they are). */
  secondsUntil(cost = 1): number {
    this.refill();
    const missing = Math.min(cost, this.burst) - this.tokens;
    return missing <= 0 ? 0 : missing / this.perSecond;
  }

  private refill(): void {
    const now = this.clock();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    }
    this.last = now;
  }
}
