import { type FileSystem, nodeFileSystem, type OpenFile } from '../files';

/** What can go wrong at the file-system seam. */
export type Fault =
  /** write(2) writes half of what it was asked, and reports so. */
  | 'short'
  /** write(2) writes half, then the disk is full (ENOSPC from then on, until `recover`). */
  | 'short-then-full'
  | 'ENOSPC'
  | 'EIO'
  /** fsync/fdatasync fails with EIO (after write-back lost the pages). */
  | 'fsync'
  /** ftruncate fails with EIO (a rollback that does not happen). */
  | 'truncate'
  /** rename fails with ENOSPC (a directory that cannot grow). */
  | 'rename';

/** The operations a fault applies to. */
const TARGET: Record<Fault, 'write' | 'sync' | 'truncate' | 'rename'> = {
  short: 'write',
  'short-then-full': 'write',
  ENOSPC: 'write',
  EIO: 'write',
  fsync: 'sync',
  truncate: 'truncate',
  rename: 'rename',
};

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code} (injected)`), { code });
}

/**
 * The node file system with faults injected on demand, for storage tests: `inject(fault)` makes the next
 * operation of its kind fail that way; `full` makes every write that grows a file fail with ENOSPC until
 * `recover()`.
 */
export class FaultyFileSystem implements FileSystem {
  full = false;
  private readonly planned: { fault: Fault; where: (path: string) => boolean }[] = [];

  /** Plans `fault` for the next operation of its kind on a path `where` accepts (default: any). */
  inject(fault: Fault, where: (path: string) => boolean = () => true): void {
    this.planned.push({ fault, where });
  }

  recover(): void {
    this.full = false;
    this.planned.length = 0;
  }

  /** Takes the first planned fault for `operation` on `path`, if any. */
  private take(operation: (typeof TARGET)[Fault], path: string): Fault | undefined {
    const index = this.planned.findIndex(({ fault, where }) => TARGET[fault] === operation && where(path));
    return index === -1 ? undefined : this.planned.splice(index, 1)[0]?.fault;
  }

  async open(path: string, flags: string, mode?: number): Promise<OpenFile> {
    const file = await nodeFileSystem.open(path, flags, mode);
    return {
      write: async (buffer, offset, length, position) => {
        // A full disk refuses only writes that need new space: an overwrite in place still works.
        if (this.full && (position === null || position + length > (await file.stat()).size)) {
          throw errno('ENOSPC');
        }
        const fault = this.take('write', path);
        if (fault === 'ENOSPC' || fault === 'EIO') throw errno(fault);
        if (fault === 'short' || fault === 'short-then-full') {
          if (fault === 'short-then-full') this.full = true;
          return file.write(buffer, offset, Math.max(1, Math.floor(length / 2)), position);
        }
        return file.write(buffer, offset, length, position);
      },
      read: (buffer, offset, length, position) => file.read(buffer, offset, length, position),
      datasync: async () => {
        if (this.take('sync', path)) throw errno('EIO');
        await file.datasync();
      },
      sync: async () => {
        if (this.take('sync', path)) throw errno('EIO');
        await file.sync();
      },
      truncate: async (length) => {
        if (this.take('truncate', path)) throw errno('EIO');
        await file.truncate(length);
      },
      chmod: (fileMode) => file.chmod(fileMode),
      stat: () => file.stat(),
      close: () => file.close(),
    };
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.take('rename', to)) throw errno('ENOSPC');
    await nodeFileSystem.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return nodeFileSystem.unlink(path);
  }

  mkdir(path: string, options: { recursive: true; mode: number }): Promise<unknown> {
    return nodeFileSystem.mkdir(path, options);
  }
}
