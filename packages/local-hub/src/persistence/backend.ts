/** Raw storage under the hub's store: a snapshot plus an append-only journal of JSON lines. */
export interface StorageBackend {
  /** The last snapshot (undefined when none) and the journal text written after it. */
  load(): Promise<{ snapshot: string | undefined; journal: string }>;
  /** Appends complete lines and resolves only once they are durable. */
  append(lines: string): Promise<void>;
  /** Atomically installs `snapshot` as the new state and empties the journal. */
  compact(snapshot: string): Promise<void>;
  close(): Promise<void>;
}

/** Keeps everything in memory: the same journal code path as on disk, minus the durability. */
export class MemoryBackend implements StorageBackend {
  private snapshot: string | undefined;
  private journal = '';

  async load() {
    return { snapshot: this.snapshot, journal: this.journal };
  }

  async append(lines: string) {
    this.journal += lines;
  }

  async compact(snapshot: string) {
    this.snapshot = snapshot;
    this.journal = '';
  }

  async close() {}
}
