import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { type FileSystem, nodeFileSystem, type OpenFile, writeChunksAtomically, writeFully } from '../files';
import type { StorageBackend } from './backend';
import { DirectoryLock } from './lock';

const SNAPSHOT = 'state.json';
const JOURNAL = 'journal.jsonl';
const LOCK = 'LOCK';
/** The state holds device keys: readable by the hub's user only, like connection.json and the TLS keys. */
const FILE_MODE = 0o600;
const READ_CHUNK = 1024 * 1024;

export interface FileBackendOptions {
  /** The file operations to use; a seam for fault injection in tests. */
  fs?: FileSystem;
}

/**
 * Snapshot + journal files in `dir`, durable against `kill -9` and power loss, and locked for one hub at a
 * time (see {@link DirectoryLock}). Journal appends are fsynced before they are acknowledged; one that
 * fails (short write, ENOSPC, EIO, failed fsync) is cut off the journal again, and until that succeeds no
 * append is accepted, so a failed write never lingers to be replayed. A snapshot is written to a temporary
 * file, fsynced and renamed over the old one (atomic), and only then is the journal emptied: a snapshot
 * that fails leaves the old one and the journal as they were.
 */
export class FileBackend implements StorageBackend {
  private readonly fs: FileSystem;
  private journal: OpenFile | undefined;
  /** The journal's length up to its last durable append. */
  private journalLength = 0;
  /** Set while a failed append could not be cut off the journal. */
  private dirty = false;
  private lock: DirectoryLock | undefined;

  constructor(
    private readonly dir: string,
    options: FileBackendOptions = {},
  ) {
    this.fs = options.fs ?? nodeFileSystem;
  }

  async load() {
    await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.lock = await DirectoryLock.acquire(this.fs, join(this.dir, LOCK));
    try {
      const journal = await this.fs.open(join(this.dir, JOURNAL), 'a+', FILE_MODE);
      this.journal = journal;
      // Data directories from before the files were private.
      await journal.chmod(FILE_MODE);
      this.journalLength = (await journal.stat()).size;
      const snapshot = await this.openIfExists(join(this.dir, SNAPSHOT));
      if (snapshot) await snapshot.chmod(FILE_MODE);
      return {
        snapshot: snapshot && chunksOf(snapshot, true),
        journal: chunksOf(journal, false),
      };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async append(lines: string) {
    const journal = this.handle();
    if (this.dirty) await this.rollBack(journal);
    try {
      const buffer = Buffer.from(lines, 'utf8');
      await writeFully(journal, buffer);
      await journal.datasync();
      this.journalLength += buffer.length;
    } catch (err) {
      await this.rollBack(journal).catch(() => undefined);
      throw err;
    }
  }

  async compact(snapshot: Iterable<string>) {
    const journal = this.handle();
    await writeChunksAtomically(this.fs, join(this.dir, SNAPSHOT), snapshot, FILE_MODE);
    // Should this fail, the journal's batches are all in the snapshot and skipped when replayed.
    await journal.truncate(0);
    await journal.datasync();
    this.journalLength = 0;
    this.dirty = false;
  }

  async close() {
    const journal = this.journal;
    this.journal = undefined;
    try {
      await journal?.close();
    } finally {
      await this.lock?.release();
      this.lock = undefined;
    }
  }

  /** Cuts the journal back to its last durable append, durably. Until that works, appends are refused. */
  private async rollBack(journal: OpenFile): Promise<void> {
    this.dirty = true;
    await journal.truncate(this.journalLength);
    await journal.datasync();
    this.dirty = false;
  }

  private handle(): OpenFile {
    if (!this.journal) throw new Error('The store is not open');
    return this.journal;
  }

  private async openIfExists(path: string): Promise<OpenFile | undefined> {
    try {
      return await this.fs.open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

/** The file's text in chunks, decoded across chunk boundaries; `close`: close the file at the end. */
async function* chunksOf(file: OpenFile, close: boolean): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.alloc(READ_CHUNK);
  try {
    for (let position = 0; ; ) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      yield decoder.write(buffer.subarray(0, bytesRead));
    }
    const rest = decoder.end();
    if (rest) yield rest;
  } finally {
    if (close) await file.close();
  }
}
