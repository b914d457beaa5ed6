import { hostname } from 'node:os';
import type { FileSystem, OpenFile } from '../files';
import { writeFully } from '../files';

/** Thrown when another live hub holds the data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
}

interface Holder {
  pid: number;
  hostname: string;
}

/** Lock files this process holds: a pid equal to ours is a live holder only if it is in here. */
const held = new Set<string>();

/**
 * An exclusive lock on a data directory for a hub's lifetime: a file created with O_EXCL naming the
 * holder's pid and host. Two hubs on one directory would each overwrite the other's state and
 * `connection.json`. A lock whose process is gone (`kill -9`, a crash) is stale and taken over; so is one
 * with our own pid that this process does not hold (a container restarted with the same pid).
 */
export class DirectoryLock {
  private constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
  ) {}

  static async acquire(fs: FileSystem, path: string): Promise<DirectoryLock> {
    for (let attempt = 0; ; attempt += 1) {
      let file: OpenFile;
      try {
        file = await fs.open(path, 'wx', 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockedError(path, err);
        const holder = await readHolder(fs, path);
        if (holder && isLive(holder, path)) {
          throw new DataDirLockedError(
            `The data directory is in use by another hub (process ${holder.pid} on ${holder.hostname}); ` +
              `stop it, or delete ${path} if that process is not a hub.`,
          );
        }
        // Stale. Two hubs taking over one stale lock at the same instant could both succeed; O_EXCL on
        // the retry narrows that to an unlink racing a create, which a test harness does not produce.
        await fs.unlink(path).catch(() => undefined);
        continue;
      }
      let failure: unknown;
      try {
        const holder: Holder = { pid: process.pid, hostname: hostname() };
        await writeFully(file, Buffer.from(`${JSON.stringify(holder)}\n`));
        await file.sync();
      } catch (err) {
        // A full disk creates the file but cannot hold its text. The hub must still start (read-only until
        // space returns): the O_EXCL file still excludes a hub starting meanwhile; one that finds it empty
        // later takes it for a crash's leftover (the price of starting on a full disk, in the README).
        if (!isOutOfSpace(err)) failure = err;
      } finally {
        await file.close();
      }
      if (failure !== undefined) {
        await fs.unlink(path).catch(() => undefined);
        throw failure;
      }
      held.add(path);
      return new DirectoryLock(fs, path);
    }
  }

  async release(): Promise<void> {
    if (!held.delete(this.path)) return;
    await this.fs.unlink(this.path).catch(() => undefined);
  }
}

function isOutOfSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function lockedError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EEXIST'
    ? new DataDirLockedError(`The data directory is in use by another hub (${path} exists).`)
    : (err as Error);
}

function isLive(holder: Holder, path: string): boolean {
  // Another host's process cannot be checked: a lock from elsewhere (a shared volume) is never stale.
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return held.has(path);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder; undefined when the file is empty or garbled (a crash while it was written). */
async function readHolder(fs: FileSystem, path: string): Promise<Holder | undefined> {
  let file: OpenFile;
  try {
    file = await fs.open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    const parsed = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return undefined;
    return { pid: parsed.pid, hostname: parsed.hostname };
  } catch {
    return undefined;
  } finally {
    await file.close();
  }
}
