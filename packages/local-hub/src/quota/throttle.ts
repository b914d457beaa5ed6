import { HubError } from '../errors';
import { OPERATION_CLASSES, type OperationClass, type QuotaSpec, quotaRates } from './rates';
import { type Clock, TokenBucket } from './token-bucket';

/**
 * The hub's opt-in operation throttles: one token bucket per operation class at IoT Hub's published rates
 * for the tier and units (see rates.ts). Without a spec nothing is throttled.
 */
export class HubThrottle {
  private readonly buckets: Partial<Record<OperationClass, TokenBucket>> = {};
  private readonly refused: Record<OperationClass, number>;
  private waiters: { operation: OperationClass; resolve: () => void }[] = [];

  constructor(
    readonly spec: QuotaSpec | undefined,
    clock: Clock = Date.now,
  ) {
    this.refused = Object.fromEntries(OPERATION_CLASSES.map((c) => [c, 0])) as Record<OperationClass, number>;
    if (!spec) return;
    const rates = quotaRates(spec);
    for (const operation of OPERATION_CLASSES) {
      const { perSecond, burst } = rates[operation];
      this.buckets[operation] = new TokenBucket(perSecond, burst, clock);
    }
  }

  /** Whether an operation of this class may run now (and takes its tokens if so). */
  tryTake(operation: OperationClass, cost = 1): boolean {
    const bucket = this.buckets[operation];
    if (!bucket || bucket.take(cost)) return true;
    this.refused[operation] += 1;
    const woken = this.waiters.filter((w) => w.operation === operation);
    this.waiters = this.waiters.filter((w) => w.operation !== operation);
    for (const waiter of woken) waiter.resolve();
    return false;
  }

  /** Takes the tokens, or throws IoT Hub's 429 ThrottlingException. */
  take(operation: OperationClass, cost = 1): void {
    if (this.tryTake(operation, cost)) return;
    throw new HubError(
      'ThrottlingException',
      `The ${this.spec?.tier} hub's ${operation} throttle is exceeded; back off and retry.`,
    );
  }

  /** Resolves at the next refusal of this class: lets a test act once a client has been throttled. */
  nextRefusal(operation: OperationClass): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ operation, resolve }));
  }

  /** How many operations of each class were refused so far. */
  refusedCounts(): Readonly<Record<OperationClass, number>> {
    return { ...this.refused };
  }
}
