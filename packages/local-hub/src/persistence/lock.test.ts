import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConnectionFile } from '../connection-file';
import { startLocalHub } from '../hub';
import { DataDirLockedError } from './lock';

// Issue #21 item 4: one hub per data directory, for its lifetime; a lock left by `kill -9` is taken over.

describe('data directory lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const start = () => startLocalHub({ dataDir: dir, mqttPort: 0, httpsPort: 0 });
  const writeLock = (content: string) => {
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(join(dir, 'state', 'LOCK'), content);
  };

  it('refuses a second hub on the same data directory, which keeps its connection.json and state', async () => {
    const first = await start();
    try {
      await first.createDevice('only-first');
      await expect(start()).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(start()).rejects.toThrow(`process ${process.pid}`);
      expect((await readConnectionFile(dir)).mqttPort).toBe(first.mqttPort);
      expect(first.listDevices().map((d) => d.deviceId)).toEqual(['only-first']);
    } finally {
      await first.close();
    }
    expect(existsSync(join(dir, 'state', 'LOCK'))).toBe(false);
    const second = await start();
    expect(second.listDevices().map((d) => d.deviceId)).toEqual(['only-first']);
    await second.close();
  });

  it('refuses while another live process holds the lock', async () => {
    writeLock(JSON.stringify({ pid: process.ppid, hostname: hostname() }));
    await expect(start()).rejects.toThrow(`in use by another hub (process ${process.ppid}`);
    expect(existsSync(join(dir, 'connection.json'))).toBe(false);
    // The refused hub leaves the holder's lock alone.
    expect(JSON.parse(readFileSync(join(dir, 'state', 'LOCK'), 'utf8')).pid).toBe(process.ppid);
  });

  it.each([
    ['a process that is gone (kill -9)', () => JSON.stringify({ pid: deadPid(), hostname: hostname() })],
    [
      'our own pid, not held by this process (a restarted container)',
      () => JSON.stringify({ pid: process.pid, hostname: hostname() }),
    ],
    ['a lock file cut short by a crash', () => '{"pid":'],
  ])('takes over a stale lock left by %s', async (_label, content) => {
    writeLock(content());
    const hub = await start();
    expect(JSON.parse(readFileSync(join(dir, 'state', 'LOCK'), 'utf8')).pid).toBe(process.pid);
    await hub.close();
  });
});

/** The pid of a process that has exited (pids are not reused this fast). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}
