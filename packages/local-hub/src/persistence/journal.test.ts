import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { TwinRegistry } from '../registry/twins';
import { openHubState } from '../state';
import { MemoryBackend, type StorageBackend } from './backend';
import { FileBackend } from './file-backend';
import { HubStore, StoreWriteError } from './store';

// Issue #21 items 1 and 2: journal entries cost what changed, the journal is bounded and read as a stream,
// and a write is visible (and persisted) only once it is durable.

/** ~31 KB of reported values: inside IoT Hub's 32 KB section limit, ~5x that with `$metadata`. */
const BIG_PATCH = Object.fromEntries(Array.from({ length: 290 }, (_, i) => [`key${i}`, 'x'.repeat(96)]));

/** A backend whose appends wait for `release()`, or fail when `failNext` is set. */
class GatedBackend extends MemoryBackend {
  failNext: Error | undefined;
  appends: string[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private arrived: (() => void) | undefined;

  hold(): Promise<void> {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
    return new Promise((resolve) => {
      this.arrived = resolve;
    });
  }

  release(): void {
    this.gate = undefined;
    this.open?.();
  }

  override async append(lines: string) {
    this.appends.push(lines);
    this.arrived?.();
    await this.gate;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    await super.append(lines);
  }
}

async function openTwins(backend: StorageBackend, options = {}) {
  const store = await openHubState(backend, options);
  const twins = new TwinRegistry(store, () => undefined);
  await twins.create('big');
  await twins.create('other');
  return { store, twins };
}

describe('journal size (issue #21 item 1)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-journal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const journalSize = () => statSync(join(dir, 'journal.jsonl')).size;

  it('writes a tiny patch to a 31 KB twin as a journal entry of its own size, not the whole twin', async () => {
    const { store, twins } = await openTwins(new FileBackend(dir));
    await twins.patchReported('big', BIG_PATCH);
    const before = journalSize();
    for (let i = 0; i < 20; i += 1) await twins.patchReported('big', { temperature: i });
    // Per patch: the value, its `$metadata` stamp, `$version`, the section's `$lastUpdated`: a few hundred bytes.
    expect((journalSize() - before) / 20).toBeLessThan(1024);
    await store.close();
    const reopened = await openHubState(new FileBackend(dir));
    expect(reopened.durable('twins', 'big')).toEqual(twins.get('big'));
    await reopened.close();
  });

  it('bounds the journal by size however many writes there are, and restarts to the same state', async () => {
    const compactAfterBytes = 32 * 1024;
    const { store, twins } = await openTwins(new FileBackend(dir), { compactAfterBytes });
    await twins.patchReported('big', BIG_PATCH);
    // The largest single batch here: the 31 KB patch, with a `$metadata` stamp per key.
    const largestBatch = journalSize();
    let largest = 0;
    for (let i = 0; i < 600; i += 1) {
      await twins.patchReported('big', { [`key${i % 290}`]: `${i}` });
      largest = Math.max(largest, journalSize());
    }
    // Compaction starts once the journal reaches max(compactAfterBytes, snapshot): one batch over that at most.
    const snapshotSize = statSync(join(dir, 'state.json')).size;
    expect(largest).toBeLessThanOrEqual(Math.max(compactAfterBytes, snapshotSize) + largestBatch);
    const expected = twins.get('big');
    await store.close();
    const reopened = await openHubState(new FileBackend(dir));
    expect(JSON.stringify(reopened.durable('twins', 'big'))).toBe(JSON.stringify(expected));
    await reopened.close();
  });

  it('reads the journal as a stream: multi-byte characters across read chunks survive', async () => {
    // More than one 1 MiB read chunk of lines whose characters take 4 bytes, so some straddle a boundary.
    const lines = Array.from(
      { length: 400 },
      (_, i) => `${JSON.stringify({ c: 'devices', k: `d${i}`, v: '😀'.repeat(700 + (i % 3)) })}\n`,
    );
    writeFileSync(join(dir, 'journal.jsonl'), lines.join(''));
    const store = await HubStore.open(new FileBackend(dir));
    expect(store.values('devices')).toHaveLength(400);
    expect(store.get('devices', 'd1')).toBe('😀'.repeat(701));
    await store.close();
  });

  it('replays deltas to the same documents, key order and `__proto__` keys included', async () => {
    const key = fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor', 'é');
    const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.constant(null));
    const doc = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(leaf, { maxLength: 2 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    // Top-level values are records (a null value is how the journal spells a delete).
    const record = fc.dictionary(key, doc, { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('k1', 'k2'), record), { maxLength: 8 }),
        async (puts) => {
          const backend = new MemoryBackend();
          const store = await HubStore.open(backend);
          await Promise.all(puts.map(([k, value]) => store.put('devices', k, value)));
          const reopened = await HubStore.open(backend);
          for (const k of ['k1', 'k2']) {
            expect(JSON.stringify(reopened.get('devices', k))).toBe(JSON.stringify(store.get('devices', k)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('write visibility (issue #21 item 2)', () => {
  it('shows a twin change only once it is durable', async () => {
    const backend = new GatedBackend();
    const { store, twins } = await openTwins(backend);
    const arrived = backend.hold();
    const written = twins.patchReported('big', { a: 1 });
    await arrived;
    expect(twins.get('big')?.reported.values).toEqual({});
    backend.release();
    await written;
    expect(twins.get('big')?.reported.values).toEqual({ a: 1 });
    await store.close();
  });

  it('never shows nor later persists a failed batch, nor the writes built on it', async () => {
    const backend = new GatedBackend();
    const { store, twins } = await openTwins(backend);
    const arrived = backend.hold();
    const failed = twins.patchReported('big', { a: 1 });
    await arrived;
    // Built on `a` while its batch is in flight: it must fail with it.
    const dependent = twins.patchReported('big', { b: 2 });
    const unrelated = twins.patchReported('other', { c: 3 });
    backend.failNext = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    backend.release();
    await expect(failed).rejects.toBeInstanceOf(StoreWriteError);
    await expect(dependent).rejects.toThrow('ENOSPC');
    await unrelated;
    expect(twins.get('big')?.reported.values).toEqual({});

    await twins.patchReported('big', { d: 4 });
    await store.close();
    const reopened = await openHubState(backend);
    expect(reopened.durable('twins', 'big')?.reported.values).toEqual({ d: 4 });
    expect(reopened.durable('twins', 'other')?.reported.values).toEqual({ c: 3 });
    await reopened.close();
  });

  it("bounds batches, so one writer's burst cannot fail another's write", async () => {
    /** A backend refusing any append over 256 KB, as a string-length or memory limit would. */
    class LimitedBackend extends MemoryBackend {
      largest = 0;
      override async append(lines: string) {
        this.largest = Math.max(this.largest, lines.length);
        if (lines.length > 256 * 1024) throw new Error('append too large');
        await super.append(lines);
      }
    }
    const backend = new LimitedBackend();
    const store = await HubStore.open(backend, { maxBatchBytes: 128 * 1024 });
    // The store's own bound, below the twin registry's per-device one: 3,800 writes of one record at once.
    const big = { ...BIG_PATCH, n: -1 };
    await store.put('twins', 'big', big);
    const burst = Array.from({ length: 3800 }, (_, i) => store.put('twins', 'big', { ...big, n: i }));
    const other = store.put('twins', 'other', { ok: true });
    await Promise.all([...burst, other]);
    expect(backend.largest).toBeLessThanOrEqual(256 * 1024);
    expect(store.durable('twins', 'big')).toMatchObject({ n: 3799 });
    expect(store.durable('twins', 'other')).toEqual({ ok: true });
    await store.close();
  });
});

describe('snapshot integrity', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-snapshot-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a snapshot cut short rather than starting with part of the state', async () => {
    const store = await HubStore.open(new FileBackend(dir));
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put('devices', `d${i}`, { i })));
    await store.close();
    await HubStore.open(new FileBackend(dir)).then((reopened) => reopened.close());
    const text = readFileSync(join(dir, 'state.json'), 'utf8');
    writeFileSync(join(dir, 'state.json'), text.slice(0, text.lastIndexOf('{"end"')));
    await expect(HubStore.open(new FileBackend(dir))).rejects.toThrow('truncated');
  });
});
