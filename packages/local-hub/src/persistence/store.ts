import type { Logger } from 'pino';
import { settledWithin } from '../deadline';
import type { StorageBackend, StoredText } from './backend';
import { applyDelta, type DeltaOp, diff, isDelta } from './delta';
import { readLines } from './lines';

/** The kinds of record the hub keeps. */
export type CollectionName =
  | 'devices'
  | 'modules'
  | 'twins'
  | 'sessions'
  | 'jobs'
  | 'deviceJobs'
  | 'certificates';

/**
 * The document type of each collection. The store itself only needs JSON; the domain names the types
 * (see `state.ts`), so `get`/`put` are checked without the persistence layer knowing the domain.
 */
export type StoreSchema = Record<CollectionName, unknown>;

/** Told of each durable write: the collection, the key and the value (`undefined` when deleted). */
export type StoreWatcher = (collection: CollectionName, key: string, value: unknown) => void;

// A snapshot written before a collection existed simply lacks it: it loads as empty.
const COLLECTIONS: readonly CollectionName[] = [
  'devices',
  'modules',
  'twins',
  'sessions',
  'jobs',
  'deviceJobs',
  'certificates',
];
/** Format 1: one JSON document. Format 2: JSON lines — a header, one line per record, an end line. */
const SNAPSHOT_FORMAT = 2;
const DELETED = Symbol('deleted');

/**
 * A journal line. Entries of one append share the batch number `b`, and the batch ends with `{b, e}`
 * (its entry count): a batch without its end line was never acknowledged and is not replayed. `v` is a
 * whole value (null: deleted), `d` the changes to the previous value. Batches up to the snapshot's `seq`
 * are already in it (a crash between installing a snapshot and emptying the journal).
 * Journals written before batches had no `b`: their entries are whole values, applied as they come.
 */
interface JournalLine {
  b?: number;
  e?: number;
  c?: CollectionName;
  k?: string;
  v?: unknown;
  d?: DeltaOp[];
}

/** Thrown when the stored state cannot be read back (anything but a torn final write). */
export class StoreCorruptError extends Error {
  override readonly name = 'StoreCorruptError';
}

/** A write the storage refused (disk full, I/O error): it was not applied and will not be. */
export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
  /** The errno code of the underlying failure (`ENOSPC`, `EIO`, ...), when there was one. */
  readonly code: string | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const code = (options?.cause as NodeJS.ErrnoException | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

export interface HubStoreOptions {
  /** Journal entries after which the state is rewritten as a snapshot. */
  compactAfter?: number;
  /**
   * Journal bytes after which the state is rewritten as a snapshot, or the size of the last snapshot when
   * that is larger: the journal never outgrows the state by much, so a restart reads at most about twice
   * the state. Default 8 MiB.
   */
  compactAfterBytes?: number;
  /** At most this many entries per append (group commit), so one burst cannot build an unbounded batch. */
  maxBatchEntries?: number;
  /** At most about this many bytes per append. Default 4 MiB. */
  maxBatchBytes?: number;
  /** Where failed compactions are reported (they fail no write: the journal still holds everything). */
  logger?: Logger;
}

interface Write {
  c: CollectionName;
  k: string;
  /** The new value, or DELETED. */
  value: unknown;
  /** The changes from the value before, when there was one. */
  ops: DeltaOp[] | undefined;
  settle: (err?: Error) => void;
}

interface Overlay {
  value: unknown;
  /** Writes of this key queued or in flight. */
  count: number;
}

/**
 * Keyed collections held in memory and persisted through a {@link StorageBackend}. Two views:
 * - `durable`/`durableValues`: what is on disk. What clients are shown, so a write is visible only once
 *   it is durable and a failed write is never seen.
 * - `get`/`values`: that plus the writes not yet durable — the base for read-modify-write, so concurrent
 *   writers build on each other. When a write fails, the later writes of the same record (built on it)
 *   fail with it, so a failed change is never persisted by the next write either.
 * Writes issued while one is in flight are group-committed into the next append (one fsync for many
 * writes), in bounded batches. The promise of a write resolves when it is durable.
 */
export class HubStore<S extends StoreSchema = StoreSchema> {
  private readonly committed = new Map<CollectionName, Map<string, unknown>>(
    COLLECTIONS.map((c) => [c, new Map()]),
  );
  private readonly overlay = new Map<CollectionName, Map<string, Overlay>>(
    COLLECTIONS.map((c) => [c, new Map()]),
  );
  private pending: Write[] = [];
  /** The batch being appended now. */
  private inFlight: Write[] = [];
  private writing: Promise<void> | undefined;
  /** The number of the last batch that is durable. */
  private seq = 0;
  private sinceCompaction = 0;
  private journalBytes = 0;
  private snapshotBytes = 0;
  /** After a failed compaction, the journal size at which to try again (not on every write). */
  private retryCompactionAt = 0;
  private readonly compactAfter: number;
  private readonly compactAfterBytes: number;
  private readonly maxBatchEntries: number;
  private readonly maxBatchBytes: number;
  private closed = false;
  private readonly watchers = new Set<StoreWatcher>();

  private constructor(
    private readonly backend: StorageBackend,
    private readonly options: HubStoreOptions,
  ) {
    this.compactAfter = options.compactAfter ?? Number.POSITIVE_INFINITY;
    this.compactAfterBytes = options.compactAfterBytes ?? 8 * 1024 * 1024;
    this.maxBatchEntries = options.maxBatchEntries ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
  }

  /**
   * Loads the state (ignoring a torn last write) and compacts it, so the journal starts clean. A failed
   * compaction is logged, not thrown: a hub restarted on a full disk must still start.
   */
  static async open<S extends StoreSchema = StoreSchema>(
    backend: StorageBackend,
    options: HubStoreOptions = {},
  ): Promise<HubStore<S>> {
    const store = new HubStore<S>(backend, options);
    try {
      const { snapshot, journal } = await backend.load();
      if (snapshot !== undefined) await store.restoreSnapshot(snapshot);
      await store.replay(journal);
    } catch (err) {
      // A store that cannot be read must not keep the journal's file handle open.
      await backend.close().catch(() => undefined);
      throw err;
    }
    // Not a condition of starting: on a full disk the hub still comes up, serves reads and refuses writes
    // (503) until space returns, and the journal it read keeps the state meanwhile.
    if (!backend.volatile) await store.compactQuietly();
    return store;
  }

  /** The value including writes not yet durable: the base for a read-modify-write. */
  get<C extends CollectionName>(collection: C, key: string): S[C] | undefined {
    const pending = this.overlayOf(collection).get(key);
    if (pending) return (pending.value === DELETED ? undefined : pending.value) as S[C] | undefined;
    return this.durable(collection, key);
  }

  values<C extends CollectionName>(collection: C): S[C][] {
    const overlay = this.overlayOf(collection);
    if (overlay.size === 0) return this.durableValues(collection);
    const merged = new Map(this.map(collection));
    for (const [key, { value }] of overlay) {
      if (value === DELETED) merged.delete(key);
      else merged.set(key, value);
    }
    // Every value in a collection was put through `put` with this schema, or read back from it.
    return [...merged.values()] as S[C][];
  }

  /** The value as it is on disk: what clients may be shown. */
  durable<C extends CollectionName>(collection: C, key: string): S[C] | undefined {
    return this.map(collection).get(key) as S[C] | undefined;
  }

  durableValues<C extends CollectionName>(collection: C): S[C][] {
    return [...this.map(collection).values()] as S[C][];
  }

  /** Stores a JSON-serialisable value; resolves once durable. */
  put<C extends CollectionName>(collection: C, key: string, value: S[C]): Promise<void> {
    if (this.backend.volatile) return this.enqueue(collection, key, value, undefined);
    const before = this.get(collection, key);
    return this.enqueue(collection, key, value, before === undefined ? undefined : diff(before, value));
  }

  delete(collection: CollectionName, key: string): Promise<void> {
    return this.enqueue(collection, key, DELETED, undefined);
  }

  /**
   * Calls `watcher` after each write has become durable (what clients may now be shown), with the value
   * written or `undefined` for a delete. Returns the unsubscribe function. A throwing watcher is ignored.
   */
  watch(watcher: StoreWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
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
      const error = new StoreWriteError('The store closed before this write was durable');
      for (const { settle } of [...this.inFlight, ...this.pending]) settle(error);
      this.pending = [];
    }
    await this.backend.close();
  }

  private map(collection: CollectionName): Map<string, unknown> {
    const map = this.committed.get(collection);
    if (!map) throw new Error(`Unknown collection ${collection}`);
    return map;
  }

  private overlayOf(collection: CollectionName): Map<string, Overlay> {
    const map = this.overlay.get(collection);
    if (!map) throw new Error(`Unknown collection ${collection}`);
    return map;
  }

  private enqueue(c: CollectionName, k: string, value: unknown, ops: DeltaOp[] | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new StoreWriteError('The store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ c, k, value, ops, settle: (err) => (err ? reject(err) : resolve()) });
      const overlay = this.overlayOf(c);
      const entry = overlay.get(k) ?? { value, count: 0 };
      entry.value = value;
      entry.count += 1;
      overlay.set(k, entry);
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const { batch, text } = this.nextBatch();
        this.inFlight = batch;
        try {
          await this.backend.append(text);
        } catch (err) {
          this.fail(batch, err);
          continue;
        } finally {
          this.inFlight = [];
        }
        this.seq += 1;
        this.journalBytes += Buffer.byteLength(text);
        this.sinceCompaction += batch.length;
        for (const write of batch) this.commit(write);
        for (const { settle } of batch) settle();
        if (this.shouldCompact()) await this.compactQuietly();
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Takes the next writes off the queue, within the batch bounds, as journal text. */
  private nextBatch(): { batch: Write[]; text: string } {
    if (this.backend.volatile) {
      const batch = this.pending.slice(0, this.maxBatchEntries);
      this.pending = this.pending.slice(batch.length);
      return { batch, text: '' };
    }
    const b = this.seq + 1;
    let text = '';
    let taken = 0;
    while (taken < this.pending.length && taken < this.maxBatchEntries) {
      const line = `${JSON.stringify(journalLine(b, this.pending[taken] as Write))}\n`;
      // The first write always goes, however large: its size was checked by whoever wrote it.
      if (taken > 0 && text.length + line.length > this.maxBatchBytes) break;
      text += line;
      taken += 1;
    }
    const batch = this.pending.slice(0, taken);
    this.pending = this.pending.slice(taken);
    return { batch, text: `${text}${JSON.stringify({ b, e: taken })}\n` };
  }

  private commit(write: Write): void {
    if (write.value === DELETED) this.map(write.c).delete(write.k);
    else this.map(write.c).set(write.k, write.value);
    this.release(write);
    for (const watcher of this.watchers) {
      try {
        watcher(write.c, write.k, write.value === DELETED ? undefined : write.value);
      } catch {
        // A watcher (e.g. the web view) must never fail the hub's own writes.
      }
    }
  }

  /** Fails `batch` and the queued writes of the same records: they were built on what failed. */
  private fail(batch: Write[], err: unknown): void {
    const error = err instanceof StoreWriteError ? err : storeWriteError(err);
    const failed = new Set(batch.map(({ c, k }) => `${c}\0${k}`));
    const dependent = this.pending.filter(({ c, k }) => failed.has(`${c}\0${k}`));
    this.pending = this.pending.filter(({ c, k }) => !failed.has(`${c}\0${k}`));
    for (const write of [...batch, ...dependent]) {
      this.release(write);
      write.settle(error);
    }
  }

  private release({ c, k }: Write): void {
    const overlay = this.overlayOf(c);
    const entry = overlay.get(k);
    if (entry && --entry.count === 0) overlay.delete(k);
  }

  private shouldCompact(): boolean {
    if (this.backend.volatile) return false;
    if (this.sinceCompaction >= this.compactAfter) return true;
    return this.journalBytes >= Math.max(this.compactAfterBytes, this.snapshotBytes, this.retryCompactionAt);
  }

  /** Compaction only shortens the journal: when it fails (disk full), the journal still holds everything. */
  private async compactQuietly(): Promise<void> {
    try {
      await this.compact();
    } catch (err) {
      this.retryCompactionAt = this.journalBytes * 2;
      this.sinceCompaction = 0;
      this.options.logger?.warn({ err }, 'compaction failed; the journal keeps the state');
    }
  }

  private async compact(): Promise<void> {
    let bytes = 0;
    const chunks = this.snapshotChunks((length) => {
      bytes += length;
    });
    await this.backend.compact(chunks);
    this.snapshotBytes = bytes;
    this.journalBytes = 0;
    this.sinceCompaction = 0;
    this.retryCompactionAt = 0;
  }

  /** The durable state in format 2, in chunks of about 1 MiB (the state may exceed a string's length). */
  private *snapshotChunks(count: (length: number) => void): Generator<string> {
    let chunk = `${JSON.stringify({ format: SNAPSHOT_FORMAT, seq: this.seq })}\n`;
    let records = 0;
    for (const [c, map] of this.committed) {
      for (const [k, v] of map) {
        chunk += `${JSON.stringify({ c, k, v })}\n`;
        records += 1;
        if (chunk.length >= 1024 * 1024) {
          count(Buffer.byteLength(chunk));
          yield chunk;
          chunk = '';
        }
      }
    }
    chunk += `${JSON.stringify({ end: records })}\n`;
    count(Buffer.byteLength(chunk));
    yield chunk;
  }

  private async restoreSnapshot(text: StoredText): Promise<void> {
    const lines = readLines(text);
    const header = parseLine((await lines.next()).value?.line, 'The state snapshot is not valid JSON');
    if (header.format === 1 && typeof header.collections === 'object' && header.collections !== null) {
      return this.restoreLegacySnapshot(header.collections as Record<string, Record<string, unknown>>);
    }
    if (header.format !== SNAPSHOT_FORMAT || typeof header.seq !== 'number') {
      throw new StoreCorruptError('The state snapshot has an unknown format');
    }
    this.seq = header.seq;
    let records = 0;
    for await (const { line, complete } of lines) {
      const record = parseLine(complete ? line : undefined, 'The state snapshot is truncated');
      if (record.end !== undefined) {
        if (record.end !== records) throw new StoreCorruptError('The state snapshot is truncated');
        return;
      }
      if (!isCollection(record.c) || typeof record.k !== 'string' || record.v === undefined) {
        throw new StoreCorruptError(`Snapshot record ${records + 1} is not a record`);
      }
      this.map(record.c).set(record.k, record.v);
      records += 1;
    }
    throw new StoreCorruptError('The state snapshot is truncated');
  }

  private restoreLegacySnapshot(collections: Record<string, Record<string, unknown>>): void {
    for (const name of COLLECTIONS) {
      for (const [key, value] of Object.entries(collections[name] ?? {})) this.map(name).set(key, value);
    }
  }

  private async replay(journal: StoredText): Promise<void> {
    const snapshotSeq = this.seq;
    let batch: { b: number; entries: JournalLine[] } | undefined;
    let index = 0;
    // Text after the last newline is a write cut short by a crash, never acknowledged.
    for await (const { line, complete } of readLines(journal)) {
      index += 1;
      if (!complete) break;
      // Counted in case the compaction after loading fails: the size bound then starts from the real journal.
      this.journalBytes += Buffer.byteLength(line) + 1;
      // A failed append the backend could not cut off, blanked in place instead (see FileBackend).
      if (line.trim() === '') continue;
      const entry = parseLine(line, `Journal line ${index} is not valid JSON`) as JournalLine;
      if (entry.b === undefined) {
        this.apply(checkEntry(entry, index));
        continue;
      }
      if (typeof entry.b !== 'number') throw new StoreCorruptError(`Journal line ${index} has no batch`);
      if (entry.e !== undefined) {
        if (batch?.b === entry.b && batch.entries.length === entry.e && entry.b > snapshotSeq) {
          for (const write of batch.entries) this.apply(write);
          this.seq = entry.b;
        }
        batch = undefined;
        continue;
      }
      // Entries of an earlier batch without its end line: an append that failed and was never acknowledged.
      if (batch?.b !== entry.b) batch = { b: entry.b, entries: [] };
      batch.entries.push(checkEntry(entry, index));
    }
  }

  private apply(entry: JournalLine): void {
    const map = this.map(entry.c as CollectionName);
    const key = entry.k as string;
    if (entry.d !== undefined) map.set(key, applyDelta(map.get(key), entry.d));
    else if (entry.v === null) map.delete(key);
    else map.set(key, entry.v);
  }
}

/** The errno code names the failure without the file paths of the message. */
function storeWriteError(cause: unknown): StoreWriteError {
  const code = (cause as NodeJS.ErrnoException).code;
  const reason = typeof code === 'string' ? code : (cause as Error).message;
  return new StoreWriteError(`The hub could not store the change (${reason})`, { cause });
}

function journalLine(b: number, { c, k, value, ops }: Write): JournalLine {
  if (value === DELETED) return { b, c, k, v: null };
  return ops === undefined ? { b, c, k, v: value } : { b, c, k, d: ops };
}

function isCollection(name: unknown): name is CollectionName {
  return COLLECTIONS.includes(name as CollectionName);
}

function checkEntry(entry: JournalLine, index: number): JournalLine {
  const valid =
    isCollection(entry.c) &&
    typeof entry.k === 'string' &&
    (entry.d === undefined ? entry.v !== undefined : isDelta(entry.d));
  if (!valid) throw new StoreCorruptError(`Journal line ${index} is not a journal entry`);
  return entry;
}

function parseLine(line: string | undefined, message: string): Record<string, unknown> {
  if (line === undefined) throw new StoreCorruptError(message);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new StoreCorruptError(message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StoreCorruptError(message);
  }
  return parsed as Record<string, unknown>;
}
