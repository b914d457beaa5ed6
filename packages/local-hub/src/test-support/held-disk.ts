import type { StorageBackend } from '../persistence/backend';

/** A backend whose appends can be held back: the window in which a write is accepted but not durable. */
export interface HeldDisk {
  backend: StorageBackend;
  /**
   * Holds the next append whose journal text `matches` until {@link release}; resolves once one is held.
   * The store appends one batch at a time, so every later append waits behind it.
   */
  hold(matches: (lines: string) => boolean): Promise<void>;
  release(): void;
}

/** Wraps `inner` so tests can stop a write between "accepted" and "durable". Never in production code. */
export function heldDisk(inner: StorageBackend): HeldDisk {
  let armed: { matches: (lines: string) => boolean; held: () => void } | undefined;
  let released: (() => void) | undefined;
  return {
    backend: {
      load: () => inner.load(),
      async append(lines) {
        const plan = armed;
        if (plan?.matches(lines)) {
          armed = undefined;
          await new Promise<void>((resolve) => {
            released = resolve;
            plan.held();
          });
        }
        await inner.append(lines);
      },
      compact: (snapshot) => inner.compact(snapshot),
      close: () => inner.close(),
    },
    hold(matches) {
      return new Promise<void>((held) => {
        armed = { matches, held };
      });
    },
    release() {
      released?.();
      released = undefined;
    },
  };
}

/** Matches journal text that writes to `collection`. */
export const writesTo =
  (collection: string) =>
  (lines: string): boolean =>
    lines.includes(`"c":"${collection}"`);
