import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces `path` with `text` so that readers and a crash or power loss see either the old file or the
 * new one, never half of it: a temporary file is written and fsynced, renamed over `path`, and the
 * directory fsynced (a rename is directory data). `mode` applies to the new file (e.g. 0o600 for secrets).
 */
export async function writeFileAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.tmp`;
  const fh = await open(temporary, 'w', mode);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/** Makes renames and unlinks in `dir` durable (directory entries are data too). */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
