import { statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PendingReboot } from '@iothub-reboot/contracts';
import { PendingRebootStoreError } from './errors';
import { createFileRebootStore } from './file-store';
import { attachRebootHandler } from './handler';
import { createMemoryRebootStore, type PendingRebootStore } from './store';
import { FakeDeviceClient } from './test-support/fake-client';

const rebooting: PendingReboot = {
  version: 1,
  phase: 'rebooting',
  requestId: 'r-1',
  acceptedAt: '2026-11-28T04:00:00.000Z',
};
const rebooted: PendingReboot = { ...rebooting, phase: 'rebooted', rebootTime: '2026-11-28T04:00:03.000Z' };

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'reboot-store-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each<[string, () => PendingRebootStore]>([
  ['file store', () => createFileRebootStore(join(directory, 'pending-reboot.json'))],
  ['memory store', () => createMemoryRebootStore()],
])('%s', (_name, create) => {
  it('starts empty, keeps the latest record, and clears (twice is fine)', async () => {
    const store = create();
    await expect(store.load()).resolves.toBeUndefined();
    await store.save(rebooting);
    await expect(store.load()).resolves.toEqual(rebooting);
    await store.save(rebooted);
    await expect(store.load()).resolves.toEqual(rebooted);
    await store.clear();
    await store.clear();
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('refuses to save a record that breaks the contract', async () => {
    const store = create();
    const broken = { ...rebooting, phase: 'rebooted' } as unknown as PendingReboot;
    await expect(store.save(broken)).rejects.toBeInstanceOf(PendingRebootStoreError);
    await expect(store.load()).resolves.toBeUndefined();
  });
});

describe('file store on disk', () => {
  const path = () => join(directory, 'pending-reboot.json');

  it('replaces the file by rename and leaves no temporary file behind', async () => {
    const store = createFileRebootStore(path());
    await store.save(rebooting);
    await store.save(rebooted);
    expect(await readdir(directory)).toEqual(['pending-reboot.json']);
    expect(JSON.parse(await readFile(path(), 'utf8'))).toEqual(rebooted);
  });

  it('reads a record written by an earlier process', async () => {
    await writeFile(path(), JSON.stringify(rebooted));
    await expect(createFileRebootStore(path()).load()).resolves.toEqual(rebooted);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['off-contract', JSON.stringify({ ...rebooting, phase: 'unknown' })],
  ])('fails with PendingRebootStoreError on a file that is %s', async (_name, text) => {
    await writeFile(path(), text);
    const load = createFileRebootStore(path()).load();
    await expect(load).rejects.toBeInstanceOf(PendingRebootStoreError);
    await expect(load).rejects.toThrow(path());
  });

  it('fails with PendingRebootStoreError when the directory is missing and was not prepared', async () => {
    const store = createFileRebootStore(join(directory, 'missing', 'pending-reboot.json'));
    await expect(store.save(rebooting)).rejects.toBeInstanceOf(PendingRebootStoreError);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('prepare creates a missing directory, so the first save succeeds', async () => {
    const path = join(directory, 'state', 'device', 'pending-reboot.json');
    const store = createFileRebootStore(path);
    store.prepare?.();
    await store.save(rebooting);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(rebooting);
  });

  it('prepare refuses a directory that is a file, in one message', async () => {
    await writeFile(join(directory, 'occupied'), 'x');
    const store = createFileRebootStore(join(directory, 'occupied', 'pending-reboot.json'));
    let thrown: unknown;
    try {
      store.prepare?.();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PendingRebootStoreError);
    expect((thrown as Error).message).toMatch(/^cannot keep reboot records in .*occupied: /);
  });

  it('attachRebootHandler prepares the store when it attaches', () => {
    const path = join(directory, 'not-yet', 'pending-reboot.json');
    const store = createFileRebootStore(path);
    const handler = attachRebootHandler(new FakeDeviceClient(), { store, reboot: async () => undefined });
    expect(statSync(join(directory, 'not-yet')).isDirectory()).toBe(true);
    return handler.detach();
  });

  it('fails with PendingRebootStoreError when the path is a directory', async () => {
    const store = createFileRebootStore(directory);
    await expect(store.load()).rejects.toBeInstanceOf(PendingRebootStoreError);
    await expect(store.clear()).rejects.toBeInstanceOf(PendingRebootStoreError);
  });
});

describe('memory store', () => {
  it('validates its initial record and hands out copies', async () => {
    expect(() => createMemoryRebootStore({ ...rebooting, version: 2 } as unknown as PendingReboot)).toThrow(
      PendingRebootStoreError,
    );
    const store = createMemoryRebootStore(rebooting);
    const loaded = await store.load();
    if (loaded) loaded.requestId = 'changed';
    await expect(store.load()).resolves.toEqual(rebooting);
  });
});
