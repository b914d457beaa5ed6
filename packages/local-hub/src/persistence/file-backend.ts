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
 * fails (short write, ENOSPC, EIO, failed fsync) is retracted: cut off the journal, or, when the truncate
 * fails too, overwritten in place with blanks that replay skips (an overwrite needs no new space, so it
 * works on a full disk). Until one of the two is durable no append is accepted, and both are tried again
 * before the next append and at close, so a failed write never lingers to be replayed. A snapshot is
 * written to a temporary file, fsynced and renamed over the old one (atomic), and only then is the journal
 * emptied: a snapshot that fails leaves the old one and the journal as they were.
 */
export class FileBackend implements StorageBackend {
  private readonly fs: FileSystem;
  private journal: OpenFile | undefined;
  /** The journal's length up to its last durable append. */
  private journalLength = 0;
  /** Set while a failed append could not be retracted from the journal. */
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
    if (this.dirty) await this.retract(journal);
    try {
      const buffer = Buffer.from(lines, 'utf8');
      await writeFully(journal, buffer);
      await journal.datasync();
      this.journalLength += buffer.length;
    } catch (err) {
      await this.retract(journal).catch(() => undefined);
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
      // The last chance to retract a failed append before a restart would replay it.
      if (journal && this.dirty) await this.retract(journal).catch(() => undefined);
      await journal?.close();
    } finally {
      await this.lock?.release();
      this.lock = undefined;
    }
  }

  /**
   * Makes a failed append void, durably: cut off (truncate), or else blanked in place. Until one works,
   * appends are refused. Rejects with the blanking's error when both fail.
   */
  private async retract(journal: OpenFile): Promise<void> {
    this.dirty = true;
    try {
      await journal.truncate(this.journalLength);
      await journal.datasync();
    } catch {
      await this.blankTail(journal);
    }
    this.dirty = false;
  }

  /**
   * Overwrites the journal after its last durable append with spaces ending in a newline: one blank line,
   * which replay skips, and after which appends can follow. Through a second handle, because the journal's
   * own is in append mode (on Linux pwrite(2) on O_APPEND ignores the offset).
   */
  private async blankTail(journal: OpenFile): Promise<void> {
    const { size } = await journal.stat();
    // Cut off already, but not durably (its fsync failed): sync again.
    if (size === this.journalLength) await journal.datasync();
    else {
      const blank = Buffer.alloc(size - this.journalLength, 0x20);
      blank[blank.length - 1] = 0x0a;
      const file = await this.fs.open(join(this.dir, JOURNAL), 'r+');
      try {
        await writeFully(file, blank, this.journalLength);
        await file.datasync();
      } finally {
        await file.close();
      }
    }
    this.journalLength = size;
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
