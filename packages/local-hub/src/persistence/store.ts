import { settledWithin } from '../deadline';
import type { StorageBackend } from './backend';

/** The kinds of record the hub keeps. */
export type CollectionName = 'devices' | 'twins' | 'sessions' | 'jobs' | 'deviceJobs';

/**
 * The document type of each collection. The store itself only needs JSON; the domain names the types
 * (see `state.ts`), so `get`/`put` are checked without the persistence layer knowing the domain.
 */
export type StoreSchema = Record<CollectionName, unknown>;

// A snapshot written before a collection existed simply lacks it: it loads as empty.
const COLLECTIONS: readonly CollectionName[] = ['devices', 'twins', 'sessions', 'jobs', 'deviceJobs'];
const SNAPSHOT_FORMAT = 1;

interface JournalEntry {
  c: CollectionName;
  k: string;
  /** The whole new value, or null for a delete: replaying an entry twice gives the same state. */
  v: unknown;
}

/** Thrown when the stored state cannot be read back (anything but a torn final journal line). */
export class StoreCorruptError extends Error {
  override readonly name = 'StoreCorruptError';
}

export interface HubStoreOptions {
  /** Journal entries after which the state is rewritten as a snapshot. */
  compactAfter?: number;
}

/**
 * Keyed collections held in memory and persisted through a {@link StorageBackend}. Reads see writes at
 * once; the promise of a write resolves when it is durable. Writes issued while one is in flight are
 * group-committed into the next single append (one fsync for many concurrent writes).
 */
export class HubStore<S extends StoreSchema = StoreSchema> {
  private readonly data = new Map<CollectionName, Map<string, unknown>>(
    COLLECTIONS.map((c) => [c, new Map()]),
  );
  private pending: { entry: JournalEntry; settle: (err?: Error) => void }[] = [];
  /** The batch being appended now. */
  private inFlight: { entry: JournalEntry; settle: (err?: Error) => void }[] = [];
  private writing: Promise<void> | undefined;
  private sinceCompaction = 0;
  private readonly compactAfter: number;
  private closed = false;

  private constructor(
    private readonly backend: StorageBackend,
    options: HubStoreOptions,
  ) {
    this.compactAfter = options.compactAfter ?? 5000;
  }

  /** Loads the state (ignoring a torn last journal line) and compacts it, so the journal starts clean. */
  static async open<S extends StoreSchema = StoreSchema>(
    backend: StorageBackend,
    options: HubStoreOptions = {},
  ): Promise<HubStore<S>> {
    const store = new HubStore<S>(backend, options);
    try {
      const { snapshot, journal } = await backend.load();
      if (snapshot !== undefined) store.restoreSnapshot(snapshot);
      store.replay(journal);
      await backend.compact(store.snapshot());
    } catch (err) {
      // A store that cannot be read must not keep the journal's file handle open.
      await backend.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  get<C extends CollectionName>(collection: C, key: string): S[C] | undefined {
    // Every value in a collection was put through `put` with this schema, or read back from it.
    return this.map(collection).get(key) as S[C] | undefined;
  }

  values<C extends CollectionName>(collection: C): S[C][] {
    return [...this.map(collection).values()] as S[C][];
  }

  /** Stores a JSON-serialisable value; resolves once durable. */
  put<C extends CollectionName>(collection: C, key: string, value: S[C]): Promise<void> {
    this.map(collection).set(key, value);
    return this.enqueue({ c: collection, k: key, v: value });
  }

  delete(collection: CollectionName, key: string): Promise<void> {
    this.map(collection).delete(key);
    return this.enqueue({ c: collection, k: key, v: null });
  }

  /** Waits for every write issued so far. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  /**
   * Waits for the writes issued so far, then closes the backend. With `timeoutMs`, writes still waiting
   * for the disk by then are failed (never acknowledged) instead of holding the close for ever.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closed = true;
    if (options.timeoutMs === undefined) await this.flush();
    else if (!(await settledWithin(this.flush(), options.timeoutMs))) {
      // Settling twice is harmless: should the disk answer later, its outcome is no longer reported.
      const error = new Error('The store closed before this write was durable');
      for (const { settle } of [...this.inFlight, ...this.pending]) settle(error);
      this.pending = [];
    }
    await this.backend.close();
  }

  private map(collection: CollectionName): Map<string, unknown> {
    const map = this.data.get(collection);
    if (!map) throw new Error(`Unknown collection ${collection}`);
    return map;
  }

  private enqueue(entry: JournalEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, settle: (err) => (err ? reject(err) : resolve()) });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        this.inFlight = batch;
        try {
          await this.backend.append(batch.map(({ entry }) => `${JSON.stringify(entry)}\n`).join(''));
          this.sinceCompaction += batch.length;
          if (this.sinceCompaction >= this.compactAfter) {
            await this.backend.compact(this.snapshot());
            this.sinceCompaction = 0;
          }
          for (const { settle } of batch) settle();
        } catch (err) {
          for (const { settle } of batch) settle(err as Error);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private snapshot(): string {
    const collections: Record<string, Record<string, unknown>> = {};
    for (const [name, map] of this.data) collections[name] = Object.fromEntries(map);
    return JSON.stringify({ format: SNAPSHOT_FORMAT, collections });
  }

  private restoreSnapshot(text: string): void {
    let parsed: { format?: unknown; collections?: Record<string, Record<string, unknown>> };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StoreCorruptError('The state snapshot is not valid JSON');
    }
    if (parsed.format !== SNAPSHOT_FORMAT || typeof parsed.collections !== 'object') {
      throw new StoreCorruptError('The state snapshot has an unknown format');
    }
    for (const name of COLLECTIONS) {
      for (const [key, value] of Object.entries(parsed.collections[name] ?? {}))
        this.map(name).set(key, value);
    }
  }

  private replay(journal: string): void {
    const lines = journal.split('\n');
    // Every append ends with "\n"; text after the last one is a write cut short by a crash, never acknowledged.
    lines.pop();
    lines.forEach((line, index) => {
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line);
      } catch {
        throw new StoreCorruptError(`Journal line ${index + 1} is not valid JSON`);
      }
      if (!COLLECTIONS.includes(entry.c) || typeof entry.k !== 'string') {
        throw new StoreCorruptError(`Journal line ${index + 1} is not a journal entry`);
      }
      if (entry.v === null) this.map(entry.c).delete(entry.k);
      else this.map(entry.c).set(entry.k, entry.v);
    });
  }
}
