import type { PendingRebootStore } from './store';

const tails = new WeakMap<PendingRebootStore, Promise<void>>();

/**
 * Runs `work` once all earlier work on the same store object has settled, so a handler's requests
 * and a start-up report (e.g. called again after a reconnect) never interleave their reads and writes
 * of the record: the start-up call could otherwise take a running reboot's fresh record for a stale one.
 */
export function withStoreLock<T>(store: PendingRebootStore, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(store) ?? Promise.resolve();
  const result = previous.then(work);
  tails.set(
    store,
    result.then(
      () => undefined,
      () => undefined,
    ),
  );
  return result;
}
