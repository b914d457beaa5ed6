import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend, type StorageBackend, VolatileBackend } from './backend';
import { FileBackend } from './file-backend';
import { HubStore, StoreCorruptError } from './store';

/** Counts appends to prove group commit. */
class CountingBackend extends MemoryBackend {
  appends = 0;
  override async append(lines: string) {
    this.appends += 1;
    await super.append(lines);
  }
}

describe('HubStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const backends: [string, () => StorageBackend][] = [
    ['memory', () => new MemoryBackend()],
    ['file', () => new FileBackend(dir)],
  ];

  it.each(backends)('reads its writes at once and keeps them across reopen (%s)', async (_name, make) => {
    const backend = make();
    const store = await HubStore.open(backend);
    const written = store.put('devices', 'a', { n: 1 });
    expect(store.get('devices', 'a')).toEqual({ n: 1 });
    await written;
    await store.put('twins', 'a', { v: 2 });
    await store.delete('devices', 'a');
    await store.close();

    const reopened = await HubStore.open(backend instanceof FileBackend ? new FileBackend(dir) : backend);
    expect(reopened.get('devices', 'a')).toBeUndefined();
    expect(reopened.get('twins', 'a')).toEqual({ v: 2 });
    await reopened.close();
  });

  it('group-commits concurrent writes into few appends', async () => {
    const backend = new CountingBackend();
    const store = await HubStore.open(backend);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.put('twins', `t${i}`, i)));
    expect(backend.appends).toBeLessThanOrEqual(2);
    expect(store.values('twins')).toHaveLength(50);
    await store.close();
  });

  it('on a volatile backend, commits the same batches and writes no text, delta or snapshot', async () => {
    const lines: string[] = [];
    let compactions = 0;
    const backend = new (class extends VolatileBackend {
      override async append(text: string) {
        lines.push(text);
      }
      override async compact() {
        compactions += 1;
      }
    })();
    const store = await HubStore.open(backend, { compactAfter: 1 });
    const seen: unknown[] = [];
    store.watch((_c, key, value) => seen.push([key, value]));
    const first = store.put('twins', 'a', { v: 1 });
    // Visible to read-modify-write at once, to clients only once committed: as on any backend.
    expect(store.get('twins', 'a')).toEqual({ v: 1 });
    expect(store.durable('twins', 'a')).toBeUndefined();
    await Promise.all([first, ...Array.from({ length: 50 }, (_, i) => store.put('twins', `t${i}`, i))]);
    expect(store.durable('twins', 'a')).toEqual({ v: 1 });
    expect(store.durableValues('twins')).toHaveLength(51);
    await store.put('twins', 'a', { v: 2 });
    await store.delete('twins', 't0');
    expect(store.durable('twins', 'a')).toEqual({ v: 2 });
    expect(store.durable('twins', 't0')).toBeUndefined();
    expect(seen).toContainEqual(['t0', undefined]);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.every((text) => text === '')).toBe(true);
    expect(compactions).toBe(0);
    await store.close();
    await expect(store.put('twins', 'b', 1)).rejects.toThrow('closed');
  });

  it('compacts into a snapshot after `compactAfter` entries, keeping the state', async () => {
    const store = await HubStore.open(new FileBackend(dir), { compactAfter: 3 });
    for (let i = 0; i < 4; i += 1) await store.put('devices', `d${i}`, { i });
    await store.close();
    const snapshot = readFileSync(join(dir, 'state.json'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(snapshot.filter((line) => line.c === 'devices').map((line) => line.k)).toEqual(['d0', 'd1', 'd2']);
    // One batch: its entry and its end line.
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const reopened = await HubStore.open(new FileBackend(dir));
    expect(reopened.values('devices')).toHaveLength(4);
    await reopened.close();
  });

  it('ignores a torn last journal line (a write cut short by a crash) and starts a clean journal', async () => {
    writeFileSync(join(dir, 'journal.jsonl'), '{"c":"devices","k":"a","v":1}\n{"c":"devices","k":"b","v":');
    const store = await HubStore.open(new FileBackend(dir));
    expect(store.get('devices', 'a')).toBe(1);
    expect(store.get('devices', 'b')).toBeUndefined();
    await store.put('devices', 'c', 3);
    await store.close();
    expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).toBe(
      '{"b":1,"c":"devices","k":"c","v":3}\n{"b":1,"e":1}\n',
    );
  });

  it('replays a journal left over a newer snapshot (crash between rename and truncate) to the same state', async () => {
    writeFileSync(
      join(dir, 'state.json'),
      JSON.stringify({ format: 1, collections: { devices: { a: 2 }, twins: {}, sessions: {} } }),
    );
    writeFileSync(
      join(dir, 'journal.jsonl'),
      '{"c":"devices","k":"a","v":1}\n{"c":"devices","k":"a","v":2}\n',
    );
    const store = await HubStore.open(new FileBackend(dir));
    expect(store.get('devices', 'a')).toBe(2);
    await store.close();
  });

  it.each([
    [
      'a corrupt line before the end',
      'state.json',
      undefined,
      'journal.jsonl',
      'garbage\n{"c":"devices","k":"a","v":1}\n',
    ],
    ['an unknown collection', 'state.json', undefined, 'journal.jsonl', '{"c":"nope","k":"a","v":1}\n'],
    ['a snapshot that is not JSON', 'state.json', '{', 'journal.jsonl', ''],
    ['a snapshot of another format', 'state.json', '{"format":9,"collections":{}}', 'journal.jsonl', ''],
  ])('refuses to start on %s', async (_label, snapshotName, snapshot, journalName, journal) => {
    if (snapshot !== undefined) writeFileSync(join(dir, snapshotName), snapshot);
    writeFileSync(join(dir, journalName), journal);
    await expect(HubStore.open(new FileBackend(dir))).rejects.toBeInstanceOf(StoreCorruptError);
  });

  it('fails writes whose append fails, and refuses writes after close', async () => {
    const backend = new MemoryBackend();
    const store = await HubStore.open(backend);
    jest.spyOn(backend, 'append').mockRejectedValueOnce(new Error('disk full'));
    await expect(store.put('devices', 'x', 1)).rejects.toThrow('disk full');
    await store.close();
    await expect(store.put('devices', 'y', 1)).rejects.toThrow('closed');
  });
});

describe('HubStore.open on unreadable state', () => {
  it('closes its backend when the state cannot be read', async () => {
    const close = jest.fn(async () => undefined);
    const backend: StorageBackend = {
      load: async () => ({ snapshot: undefined, journal: '{"c":"nope","k":"a","v":1}\n' }),
      append: async () => undefined,
      compact: async () => undefined,
      close,
    };
    await expect(HubStore.open(backend)).rejects.toBeInstanceOf(StoreCorruptError);
    expect(close).toHaveBeenCalledTimes(1);
  });
});
