import { type PendingReboot, safeParsePendingReboot } from '@iothub-reboot/contracts';
import { PendingRebootStoreError } from './errors';

/**
 * Where the pending-reboot record lives between the reboot and its twin report. Implementations must
 * make `save` durable before resolving: the record is what survives a restart.
 */
export interface PendingRebootStore {
  /** The current record, or `undefined` when no report is owed. */
  load(): Promise<PendingReboot | undefined>;
  /** Replaces the record. */
  save(record: PendingReboot): Promise<void>;
  /** Removes the record; removing an absent record is not an error. */
  clear(): Promise<void>;
  /**
   * Optional: makes sure a later `save` can succeed (the file store creates or checks its directory).
   * `attachRebootHandler` calls it, so a wrong path fails at start-up rather than at the first reboot.
   * Throws {@link PendingRebootStoreError}.
   */
  prepare?(): void;
}

/** Checks a record against the contract; throws {@link PendingRebootStoreError} naming `where`. */
export function checkPendingReboot(value: unknown, where: string): PendingReboot {
  const parsed = safeParsePendingReboot(value);
  if (!parsed.success) throw new PendingRebootStoreError(`${where}: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * A store that lives in memory: for tests, and the default when reboots are simulated (a real restart
 * loses it; use {@link createFileRebootStore} then). Records are validated and copied like the file store does.
 */
export function createMemoryRebootStore(initial?: PendingReboot): PendingRebootStore {
  let record = initial === undefined ? undefined : checkPendingReboot(initial, 'memory store');
  return {
    load: async () => (record === undefined ? undefined : { ...record }),
    save: async (next) => {
      record = { ...checkPendingReboot(next, 'memory store') };
    },
    clear: async () => {
      record = undefined;
    },
  };
}
