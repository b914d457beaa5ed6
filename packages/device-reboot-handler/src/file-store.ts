import { randomUUID } from 'node:crypto';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage, PendingRebootStoreError } from './errors';
import { checkPendingReboot, type PendingRebootStore } from './store';

/**
 * A store in one JSON file. `save` writes a temporary file in the same directory, fsyncs it, renames it
 * over the record and fsyncs the directory, so after a crash or power loss the file holds either the
 * old or the new record, never a torn one. `prepare` (run by `attachRebootHandler`) creates the directory
 * when it is missing and checks that it is a writable directory.
 */
export function createFileRebootStore(path: string): PendingRebootStore {
  const directory = dirname(path);
  const fail = (action: string, err: unknown): never => {
    throw new PendingRebootStoreError(`could not ${action} ${path}: ${errorMessage(err)}`, { cause: err });
  };

  return {
    prepare() {
      try {
        mkdirSync(directory, { recursive: true, mode: 0o700 });
        if (!statSync(directory).isDirectory()) throw new Error(`${directory} is not a directory`);
        accessSync(directory, constants.W_OK);
      } catch (err) {
        throw new PendingRebootStoreError(
          `cannot keep reboot records in ${directory}: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
    },

    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if (isCode(err, 'ENOENT')) return undefined;
        return fail('read', err);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        return fail('parse', err);
      }
      return checkPendingReboot(value, path);
    },

    async save(record) {
      const text = `${JSON.stringify(checkPendingReboot(record, path))}\n`;
      const temporary = join(directory, `.${basename(path)}.${randomUUID()}.tmp`);
      try {
        const file = await open(temporary, 'wx', 0o600);
        try {
          await file.writeFile(text, 'utf8');
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temporary, path);
        await syncDirectory(directory);
      } catch (err) {
        await unlink(temporary).catch(() => undefined);
        fail('write', err);
      }
    },

    async clear() {
      try {
        await unlink(path);
        await syncDirectory(directory);
      } catch (err) {
        if (!isCode(err, 'ENOENT')) fail('remove', err);
      }
    },
  };
}

/** Makes a rename or unlink in `directory` durable. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
