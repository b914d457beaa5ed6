/**
 * Text read back from storage: chunks of any size (a string is one chunk). Chunks rather than one string,
 * because a state of hundreds of megabytes exceeds V8's longest string (`Invalid string length`).
 */
export type StoredText = AsyncIterable<string> | Iterable<string> | string;

/** Raw storage under the hub's store: a snapshot plus an append-only journal of JSON lines. */
export interface StorageBackend {
  /** The last snapshot (undefined when none) and the journal text written after it. */
  load(): Promise<{ snapshot: StoredText | undefined; journal: StoredText }>;
  /**
   * Appends complete lines and resolves only once they are durable. When it rejects, nothing of `lines`
   * may remain in the journal (a backend that cannot roll back must refuse further appends instead).
   */
  append(lines: string): Promise<void>;
  /**
   * Atomically installs the snapshot (its text in chunks, consumed once) as the new state, then empties
   * the journal. When it rejects, the previous snapshot and the journal are still the state.
   */
  compact(snapshot: Iterable<string>): Promise<void>;
  close(): Promise<void>;
  /**
   * True when the backend keeps nothing (it is never loaded again): the store then builds no journal text,
   * deltas or snapshots for it, and still commits writes in the same batches, one append at a time.
   */
  readonly volatile?: boolean;
}

/**
 * Keeps everything in memory: the same journal code path as on disk, minus the durability; a store
 * reopened on it reads the state back (tests of restarts use it).
 */
export class MemoryBackend implements StorageBackend {
  private snapshot: string | undefined;
  private journal = '';

  async load() {
    return { snapshot: this.snapshot, journal: this.journal };
  }

  async append(lines: string) {
    this.journal += lines;
  }

  async compact(snapshot: Iterable<string>) {
    this.snapshot = [...snapshot].join('');
    this.journal = '';
  }

  async close() {}
}

/**
 * Keeps nothing: the backend of an `inMemory` hub, whose state ends with its process. Writing journal text
 * no one reads back cost the in-memory hub a JSON serialisation and a delta per write, and a snapshot of
 * the whole state every 8 MiB of them.
 */
export class VolatileBackend implements StorageBackend {
  readonly volatile = true;

  async load() {
    return { snapshot: undefined, journal: '' };
  }

  async append(_lines: string) {}

  async compact(_snapshot: Iterable<string>) {}

  async close() {}
}
