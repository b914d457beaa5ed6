import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';

/** An open file: the part of node's FileHandle the hub's storage uses. */
export interface OpenFile {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  chmod(mode: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/**
 * The file operations the hub's storage uses. A seam for fault injection (short writes, ENOSPC, EIO,
 * failed fsyncs) in tests; production code always uses {@link nodeFileSystem}.
 */
export interface FileSystem {
  open(path: string, flags: string, mode?: number): Promise<OpenFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<unknown>;
}

export const nodeFileSystem: FileSystem = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  mkdir: (path, options) => fsp.mkdir(path, options),
};

/**
 * Writes all of `buffer` at the file's end or `position`. write(2) may write less than asked (a disk
 * filling up does): the rest is written again, and a write that makes no progress is an error, so a short
 * write can never pass for a complete one.
 */
export async function writeFully(file: OpenFile, buffer: Uint8Array, position: number | null = null) {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await file.write(
      buffer,
      done,
      buffer.length - done,
      position === null ? null : position + done,
    );
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`wrote ${done} of ${buffer.length} bytes`), { code: 'ENOSPC' });
    }
    done += bytesWritten;
  }
}

/**
 * Replaces `path` with `text` so that readers and a crash or power loss see either the old file or the
 * new one, never half of it: a temporary file is written and fsynced, renamed over `path`, and the
 * directory fsynced (a rename is directory data). `mode` applies to the new file (e.g. 0o600 for secrets).
 */
export function writeFileAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  return writeChunksAtomically(nodeFileSystem, path, [text], mode);
}

/**
 * {@link writeFileAtomically} for text in chunks, through `fs`. On failure (disk full, I/O error) `path`
 * is untouched and the temporary file removed, so a failed write also gives its space back.
 */
export async function writeChunksAtomically(
  fs: FileSystem,
  path: string,
  chunks: Iterable<string>,
  mode: number,
): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await fs.open(temporary, 'w', mode);
  try {
    // open's mode applies only to a file it creates: a temporary left by a crash keeps its own.
    await file.chmod(mode);
    for (const chunk of chunks) await writeFully(file, Buffer.from(chunk, 'utf8'));
    await file.sync();
  } catch (err) {
    await file.close().catch(() => undefined);
    await fs.unlink(temporary).catch(() => undefined);
    throw err;
  }
  await file.close();
  await fs.rename(temporary, path);
  await syncDirectory(dirname(path), fs);
}

/** Makes renames and unlinks in `dir` durable (directory entries are data too). */
export async function syncDirectory(dir: string, fs: FileSystem = nodeFileSystem): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
