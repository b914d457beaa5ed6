import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Whether this process may listen on `port` of 127.0.0.1 right now, and if not why: EACCES (ports below
 * 1024 need root, `cap_net_bind_service` or a lower `net.ipv4.ip_unprivileged_port_start`) or EADDRINUSE.
 * Synchronous (a child process tries the bind), so a suite can decide at load time whether it runs.
 */
export function canListenOn(port: number): { ok: true } | { ok: false; code: string } {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const s = require('node:net').createServer();
       s.once('error', (e) => { process.stdout.write(e.code ?? 'ERROR'); process.exit(0); });
       s.listen(${port}, '127.0.0.1', () => s.close(() => process.stdout.write('OK')));`,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  const answer = probe.stdout.trim();
  return answer === 'OK' ? { ok: true } : { ok: false, code: answer || 'no answer' };
}

/** A fixed port held for one suite; {@link FixedPortHold.release} lets the next suite have it. */
export interface FixedPortHold {
  release(): void;
}

/** Where suites of this machine (any package, any checkout) queue for a fixed port. */
function lockFileOf(port: number): string {
  return join(tmpdir(), `iothub-reboot-port-${port}.lock`);
}

function holderOf(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a live process (a suite of another package or checkout) holds `port` through {@link holdFixedPort}. */
export function isFixedPortHeld(port: number): boolean {
  const pid = holderOf(lockFileOf(port));
  return pid !== undefined && pid !== process.pid && isAlive(pid);
}

/**
 * Waits until this process alone holds `port` among the suites that listen on it (turbo runs two packages'
 * suites at once, and two of them may both want 443): an exclusive lock file in the temp directory naming
 * the holder's pid, taken over when that process is gone (a killed jest worker). Polls, because the holder
 * may die without a word; rejects after `timeoutMs`, naming the holder.
 */
export async function holdFixedPort(port: number, timeoutMs = 120_000): Promise<FixedPortHold> {
  const lockFile = lockFileOf(port);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return {
        release() {
          if (holderOf(lockFile) === process.pid) rmSync(lockFile, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(lockFile);
    if (holder === undefined || !isAlive(holder)) {
      // Stale (its process is gone) or half-written: remove it and race for it again.
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`port ${port} is still held by process ${holder} after ${timeoutMs} ms (${lockFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
