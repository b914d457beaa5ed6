import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../files';
import type { StorageBackend } from './backend';

const SNAPSHOT = 'state.json';
const JOURNAL = 'journal.jsonl';

/**
 * Snapshot + journal files in `dir`, durable against `kill -9` and power loss: journal appends are
 * fsynced before they are acknowledged; a snapshot is written to a temporary file, fsynced and renamed
 * over the old one (atomic), and only then is the journal emptied. Journal entries are whole-value puts,
 * so replaying a journal over a newer snapshot (a crash between rename and truncate) is harmless.
 */
export class FileBackend implements StorageBackend {
  private journal: FileHandle | undefined;

  constructor(private readonly dir: string) {}

  async load() {
    await mkdir(this.dir, { recursive: true });
    const snapshot = await readIfExists(join(this.dir, SNAPSHOT));
    const journal = (await readIfExists(join(this.dir, JOURNAL))) ?? '';
    this.journal = await open(join(this.dir, JOURNAL), 'a');
    return { snapshot, journal };
  }

  async append(lines: string) {
    const fh = this.handle();
    await fh.write(lines);
    await fh.datasync();
  }

  async compact(snapshot: string) {
    await writeFileAtomically(join(this.dir, SNAPSHOT), snapshot);
    const journal = this.handle();
    await journal.truncate(0);
    await journal.sync();
  }

  async close() {
    await this.journal?.close();
    this.journal = undefined;
  }

  private handle(): FileHandle {
    if (!this.journal) throw new Error('The store is not open');
    return this.journal;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
