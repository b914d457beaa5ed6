/** IoT Hub's standard tiers; `--quota` takes one with an optional unit count (`S2:3`). */
export type QuotaTier = 'S1' | 'S2' | 'S3';
export const QUOTA_TIERS: readonly QuotaTier[] = ['S1', 'S2', 'S3'];

/** The operation classes the hub meters, each with its own bucket. */
export type OperationClass =
  | 'directMethods'
  | 'twinReads'
  | 'twinUpdates'
  | 'queries'
  | 'jobsOperations'
  | 'jobDeviceOperations'
  | 'registryOperations'
  | 'deviceToCloudSends'
  | 'deviceConnections';

/** One class's limit for a hub: `perSecond` tokens refill each second, at most `burst` held. */
export interface ClassRate {
  perSecond: number;
  burst: number;
}

type Formula = (units: number) => number;

/**
 * IoT Hub's published throttles, per hub, for each tier as a function of the hub's units. Source: Microsoft,
 * "IoT Hub quotas and throttling" (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling,
 * table "Operation throttles"; MicrosoftDocs/azure-docs articles/iot-hub/iot-hub-devguide-quotas-throttling.md).
 * Direct methods are metered in 4 KB: one token is 4 KB of payload, so 160 KB/s is 40 tokens/s.
 * `window` is the range the page states the rate in (per second or per minute): it is also the burst a
 * full bucket allows, IoT Hub's "accepts requests above the throttle for a limited time".
 */
export const QUOTA_TABLE: Record<OperationClass, { window: 1 | 60; rates: Record<QuotaTier, Formula> }> = {
  // 160 KB/s/unit, 480 KB/s/unit, 24 MB/s/unit; 4 KB meter.
  directMethods: {
    window: 1,
    rates: { S1: (u) => 40 * u, S2: (u) => 120 * u, S3: (u) => 6144 * u },
  },
  // Twin (device and module) reads: 100/s; higher of 100/s or 10/s/unit; 500/s/unit.
  twinReads: {
    window: 1,
    rates: { S1: () => 100, S2: (u) => Math.max(100, 10 * u), S3: (u) => 500 * u },
  },
  // Twin updates (device and module): 50/s; higher of 50/s or 5/s/unit; 250/s/unit.
  twinUpdates: {
    window: 1,
    rates: { S1: () => 50, S2: (u) => Math.max(50, 5 * u), S3: (u) => 250 * u },
  },
  // Queries: 20/min/unit; 20/min/unit; 1,000/min/unit.
  queries: {
    window: 60,
    rates: { S1: (u) => (20 * u) / 60, S2: (u) => (20 * u) / 60, S3: (u) => (1000 * u) / 60 },
  },
  // Jobs operations (create, update, list, delete): 100/min/unit; 100/min/unit; 5,000/min/unit.
  jobsOperations: {
    window: 60,
    rates: { S1: (u) => (100 * u) / 60, S2: (u) => (100 * u) / 60, S3: (u) => (5000 * u) / 60 },
  },
  // Jobs device operations (update twin, invoke direct method): 10/s; higher of 10/s or 1/s/unit; 50/s/unit.
  // A job's per-device work is paced at this rate, never refused (see JobService).
  jobDeviceOperations: {
    window: 1,
    rates: { S1: () => 10, S2: (u) => Math.max(10, u), S3: (u) => 50 * u },
  },
  // Identity registry operations (create, retrieve, list, update, delete): 100/min/unit; 100/min/unit;
  // 5,000/min/unit.
  registryOperations: {
    window: 60,
    rates: { S1: (u) => (100 * u) / 60, S2: (u) => (100 * u) / 60, S3: (u) => (5000 * u) / 60 },
  },
  // Device-to-cloud sends: higher of 100/s or 12/s/unit; 120/s/unit; 6,000/s/unit.
  deviceToCloudSends: {
    window: 1,
    rates: { S1: (u) => Math.max(100, 12 * u), S2: (u) => 120 * u, S3: (u) => 6000 * u },
  },
  // New device connections (the rate of new connections): higher of 100/s or 12/s/unit; 120/s/unit; 6,000/s/unit.
  deviceConnections: {
    window: 1,
    rates: { S1: (u) => Math.max(100, 12 * u), S2: (u) => 120 * u, S3: (u) => 6000 * u },
  },
};

export const OPERATION_CLASSES = Object.keys(QUOTA_TABLE) as OperationClass[];

/** A tier and unit count, e.g. from `--quota S2:3`. */
export interface QuotaSpec {
  tier: QuotaTier;
  units: number;
}

/** Every class's rate for a hub of `spec`. */
export function quotaRates(spec: QuotaSpec): Record<OperationClass, ClassRate> {
  return Object.fromEntries(
    OPERATION_CLASSES.map((operation) => {
      const { window, rates } = QUOTA_TABLE[operation];
      const perSecond = rates[spec.tier](spec.units);
      return [operation, { perSecond, burst: perSecond * window }];
    }),
  ) as Record<OperationClass, ClassRate>;
}

/** Parses `S1`, `s2:3`, … (units 1–200, as IoT Hub allows per hub). Returns a message on bad input. */
export function parseQuotaSpec(text: string): QuotaSpec | string {
  const match = /^(S[123])(?::(\d+))?$/i.exec(text.trim());
  if (!match) return `quota must be S1, S2 or S3, optionally with :<units> (e.g. S2:3), got "${text}"`;
  const units = match[2] === undefined ? 1 : Number(match[2]);
  if (!Number.isInteger(units) || units < 1 || units > 200)
    return `quota units must be 1 to 200, got ${match[2]}`;
  return { tier: (match[1] as string).toUpperCase() as QuotaTier, units };
}

/** Direct methods are metered in 4 KB: a payload of 0–4 KB costs 1, 4–8 KB 2, and so on. */
export function methodMeters(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / 4096));
}
