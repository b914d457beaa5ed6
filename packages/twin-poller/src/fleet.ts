import { classifyIotHubError, type ErrorClassifier } from './classify';
import { buildDeviceQueries } from './device-ids';
import { describeError, PollOptionsError } from './errors';
import { type PollCheck, type PollControl, type PollResult, pollUntil } from './poll';
import { readAllPages, type TwinQuerySource } from './query-pages';

/** Where a fleet poll stands: devices done (with the predicate's value) and pending (with why not yet). */
export interface FleetProgress<V> {
  done: Array<{ deviceId: string; value: V }>;
  pending: Array<{ deviceId: string; reason: string }>;
}

/** Options of {@link pollQueryUntil}. `onAttempt` sees the progress after every round. */
export interface FleetPollOptions<V> extends PollControl<FleetProgress<V>> {
  registry: TwinQuerySource;
  /** The devices to wait for (duplicates are ignored). */
  deviceIds: readonly string[];
  /** Decides per twin whether that device is done; should be pure. */
  predicate: (twin: unknown) => PollCheck<V>;
  /** Extra query condition, ANDed with the device list, e.g. `IS_DEFINED(properties.reported.rebootTime)`. */
  where?: string;
  /** Twins per page (`x-ms-max-item-count`). Default 100. */
  pageSize?: number;
}

const NOT_RETURNED = 'not returned by the query';

/** Thrown from a round when the caller's predicate throws; classified as fatal. */
class PredicateError extends Error {
  override readonly name = 'PredicateError';
}

/**
 * Polls a twin query over `deviceIds` until `predicate` holds for every one of them. Each round queries
 * the devices still pending (one request per page; a list longer than one query allows is split into
 * several queries); done devices stay done. Resolves
 * with every device done; a {@link PollTimeoutError} carries the partial {@link FleetProgress} as
 * `lastObservation`.
 */
export async function pollQueryUntil<V>(options: FleetPollOptions<V>): Promise<PollResult<FleetProgress<V>>> {
  if (typeof options !== 'object' || options === null)
    throw new PollOptionsError('options must be an object');
  const { registry, deviceIds, predicate, where, pageSize = 100, ...control } = options;
  if (typeof registry?.createQuery !== 'function') {
    throw new PollOptionsError('registry must have a createQuery method');
  }
  if (!Array.isArray(deviceIds)) throw new PollOptionsError('deviceIds must be an array');
  if (typeof predicate !== 'function') throw new PollOptionsError('predicate must be a function');
  if (where !== undefined && (typeof where !== 'string' || where.trim() === '')) {
    throw new PollOptionsError('where must be a non-empty query condition');
  }
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new PollOptionsError('pageSize must be an integer ≥ 1');
  const ids = [...new Set(deviceIds)];
  buildDeviceQueries(ids, where); // validates every id (and the condition's size) before anything is sent

  const tracker = new FleetTracker<V>(ids, predicate);
  const classifyError: ErrorClassifier = (error, nowMs) =>
    error instanceof PredicateError
      ? { kind: 'fatal', hint: 'the predicate threw; fix the predicate' }
      : classifyIotHubError(error, nowMs);
  return pollUntil({
    ...control,
    label: `${ids.length} device(s) to satisfy the fleet predicate`,
    classifyError,
    read: async (signal) => {
      const pending = tracker.pendingIds();
      const twins: unknown[] = [];
      // One query per batch of ids that fits IoT Hub's query size limit, one after another.
      for (const sql of buildDeviceQueries(pending, where)) {
        // A page holds at least one twin, so more pages than pending devices (plus an empty last page) means a loop.
        twins.push(...(await readAllPages(registry, sql, pageSize, pending.length + 1, signal)));
      }
      return tracker.observe(twins);
    },
    check: (progress) =>
      progress.pending.length === 0
        ? { done: true, value: progress }
        : { done: false, reason: `${progress.pending.length} of ${ids.length} device(s) pending` },
  });
}

/** Accumulates per-device verdicts across rounds; a device once done stays done. */
class FleetTracker<V> {
  private readonly done = new Map<string, V>();
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly ids: readonly string[],
    private readonly predicate: (twin: unknown) => PollCheck<V>,
  ) {
    for (const id of ids) this.pending.set(id, NOT_RETURNED);
  }

  pendingIds(): string[] {
    return [...this.pending.keys()];
  }

  /** Applies one round's twins; a pending device the round did not return says so. */
  observe(twins: readonly unknown[]): FleetProgress<V> {
    for (const id of this.pending.keys()) this.pending.set(id, NOT_RETURNED);
    for (const twin of twins) {
      const id = deviceIdOf(twin);
      if (id === undefined || !this.pending.has(id)) continue;
      let verdict: PollCheck<V>;
      try {
        verdict = this.predicate(twin);
      } catch (err) {
        throw new PredicateError(`the predicate threw for device ${id}: ${describeError(err)}`, {
          cause: err,
        });
      }
      if (verdict.done) {
        this.pending.delete(id);
        this.done.set(id, verdict.value);
      } else {
        this.pending.set(id, verdict.reason);
      }
    }
    return this.snapshot();
  }

  private snapshot(): FleetProgress<V> {
    const progress: FleetProgress<V> = { done: [], pending: [] };
    for (const deviceId of this.ids) {
      const reason = this.pending.get(deviceId);
      if (reason !== undefined) progress.pending.push({ deviceId, reason });
      else progress.done.push({ deviceId, value: this.done.get(deviceId) as V });
    }
    return progress;
  }
}

function deviceIdOf(twin: unknown): string | undefined {
  const id =
    typeof twin === 'object' && twin !== null ? (twin as { deviceId?: unknown }).deviceId : undefined;
  return typeof id === 'string' ? id : undefined;
}
