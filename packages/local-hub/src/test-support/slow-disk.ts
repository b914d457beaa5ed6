import { setTimeout as delay } from 'node:timers/promises';
import type { StorageBackend } from '../persistence/backend';

/**
 * A storage backend that waits `delayMs` after every durable write, as a disk under write-back pressure
 * makes fdatasync slow (a busy CI machine). Fault injection at the backend seam, never in production code.
 */
export function slowDurability(inner: StorageBackend, delayMs: number): StorageBackend {
  return {
    load: () => inner.load(),
    async append(lines) {
      await inner.append(lines);
      await delay(delayMs);
    },
    async compact(snapshot) {
      await inner.compact(snapshot);
      await delay(delayMs);
    },
    close: () => inner.close(),
  };
}
