import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type Fault, FaultyFileSystem } from './faulty-fs';
import { FileBackend } from './file-backend';
import { HubStore, type HubStoreOptions, StoreWriteError } from './store';

// Issue #21 item 3 and the storage fault-injection suite: short writes, ENOSPC, EIO, failed fsyncs and a
// crash between rename and directory fsync, injected at the file-backend seam. Whatever happens: no
// acknowledged write lost, no failed write visible, restart always possible.

type Model = Map<string, unknown>;

describe('storage faults at the file-backend seam', () => {
  let dir: string;
  let fs: FaultyFileSystem;
  beforeEach(() => {
    // The faults are injected at the seam, so a RAM-backed directory tests the same logic; on a disk a
    // busy machine's fsyncs made the property run outlast its timeout (seen in CI under write pressure).
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hub-faults-'));
    fs = new FaultyFileSystem();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (options: HubStoreOptions = {}) => HubStore.open(new FileBackend(dir, { fs }), options);
  const journal = () => readFileSync(join(dir, 'journal.jsonl'), 'utf8');

  /** Reopens with a healthy disk: the durable state must be exactly the acknowledged writes. */
  async function expectRestartWith(model: Model): Promise<void> {
    const store = await HubStore.open(new FileBackend(dir));
    expect(new Map(store.durableValues('devices').map((v) => [(v as { k: string }).k, v]))).toEqual(model);
    await store.close();
  }

  it.each<Fault[]>([['short-then-full'], ['ENOSPC'], ['EIO'], ['fsync'], ['EIO', 'truncate']])(
    'a failed append (%s) is refused with its errno, leaves no partial line, and service resumes',
    async (...faults) => {
      const store = await open();
      await store.put('devices', 'a', { k: 'a', n: 1 });
      const before = journal();
      for (const fault of faults) fs.inject(fault);
      const failed = store.put('devices', 'a', { k: 'a', n: 2 });
      await expect(failed).rejects.toBeInstanceOf(StoreWriteError);
      await expect(failed).rejects.toThrow(faults[0] === 'short-then-full' ? 'ENOSPC' : /ENOSPC|EIO/);
      expect(store.durable('devices', 'a')).toEqual({ k: 'a', n: 1 });
      // While the disk stays full every write is refused, and nothing of them reaches the journal.
      if (fs.full) await expect(store.put('devices', 'b', { k: 'b' })).rejects.toThrow('ENOSPC');
      fs.recover();
      await store.put('devices', 'c', { k: 'c', n: 3 });
      expect(journal().startsWith(before)).toBe(true);
      expect(journal().endsWith('\n')).toBe(true);
      await store.close();
      await expectRestartWith(
        new Map([
          ['a', { k: 'a', n: 1 }],
          ['c', { k: 'c', n: 3 }],
        ]),
      );
    },
  );

  it('refuses appends while a failed one cannot be cut off the journal, then heals', async () => {
    const store = await open();
    fs.inject('EIO');
    fs.inject('truncate');
    fs.inject('truncate');
    await expect(store.put('devices', 'a', { k: 'a' })).rejects.toThrow('EIO');
    // The rollback is retried first and fails again: the write is refused, never appended after debris.
    await expect(store.put('devices', 'b', { k: 'b' })).rejects.toThrow('EIO');
    await store.put('devices', 'c', { k: 'c' });
    await store.close();
    await expectRestartWith(new Map([['c', { k: 'c' }]]));
  });

  it.each<Fault>(['ENOSPC', 'short-then-full', 'fsync', 'rename'])(
    'a failed compaction (%s) keeps the old snapshot and journal, acknowledges the writes, retries later',
    async (fault) => {
      const store = await open({ compactAfterBytes: 1 });
      await store.put('devices', 'a', { k: 'a' });
      await store.flush();
      const snapshot = readFileSync(join(dir, 'state.json'));
      // The journal append goes first: fault the snapshot's temporary file only.
      fs.inject(fault, (path) => path.endsWith('.tmp') || path.endsWith('state.json'));
      await store.put('devices', 'b', { k: 'b' });
      // Writes are acknowledged once in the journal; the compaction after them is still under way.
      await store.flush();
      fs.recover();
      expect(readFileSync(join(dir, 'state.json'))).toEqual(snapshot);
      expect(journal()).toContain('"k":"b"');
      expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      await store.close();
      await expectRestartWith(
        new Map([
          ['a', { k: 'a' }],
          ['b', { k: 'b' }],
        ]),
      );
    },
  );

  it.each([
    ['the rename reached the disk', false],
    ['the rename was lost', true],
  ])(
    'a crash between rename and directory fsync restarts to every acknowledged write (%s)',
    async (_label, lost) => {
      const store = await open({ compactAfterBytes: 1 });
      await store.put('devices', 'a', { k: 'a' });
      await store.flush();
      const old = readFileSync(join(dir, 'state.json'));
      fs.inject('fsync', (path) => path === dir);
      await store.put('devices', 'b', { k: 'b' });
      // The crash: the hub is gone; a lost rename leaves the old snapshot under the name.
      await store.close();
      if (lost) writeFileSync(join(dir, 'state.json'), old);
      expect(journal()).toContain('"k":"b"');
      await expectRestartWith(
        new Map([
          ['a', { k: 'a' }],
          ['b', { k: 'b' }],
        ]),
      );
    },
  );

  it('under random faults: no acknowledged write lost, no failed write visible, restart always possible', async () => {
    // No 'truncate' here: a failed fsync whose rollback truncate also fails leaves a batch that was
    // answered 503 on disk, and a restart replays it (a known limit, in the README); the fixed cases above
    // cover a failed truncate after EIO.
    const fault = fc.constantFrom<Fault>('short', 'short-then-full', 'ENOSPC', 'EIO', 'fsync', 'rename');
    const write = fc.record({ key: fc.constantFrom('a', 'b', 'c'), remove: fc.boolean(), pad: fc.nat(300) });
    const step = fc.oneof(
      fc.record({ faults: fc.array(fault, { maxLength: 3 }) }),
      fc.record({ writes: fc.array(write, { minLength: 1, maxLength: 6 }) }),
      fc.constant({ restart: true }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        run += 1;
        const runDir = join(dir, `run${run}`);
        const healthy = () => HubStore.open(new FileBackend(runDir), { compactAfterBytes: 2048 });
        const faulty = () => HubStore.open(new FileBackend(runDir, { fs }), { compactAfterBytes: 2048 });
        fs.recover();
        const model: Model = new Map();
        let store = await faulty();
        let n = 0;
        for (const s of steps) {
          if ('faults' in s) for (const f of s.faults) fs.inject(f);
          else if ('restart' in s) {
            await store.close();
            // A restart on a faulty disk may be refused; once the fault is gone it must succeed.
            store = await faulty().catch(() => {
              fs.recover();
              return faulty();
            });
          } else {
            await Promise.all(
              s.writes.map(({ key, remove, pad }) => {
                n += 1;
                const value = { k: key, n, pad: 'x'.repeat(pad) };
                const written = remove ? store.delete('devices', key) : store.put('devices', key, value);
                return written.then(
                  () => (remove ? model.delete(key) : model.set(key, value)),
                  (err: unknown) => expect(err).toBeInstanceOf(StoreWriteError),
                );
              }),
            );
            for (const key of ['a', 'b', 'c']) expect(store.durable('devices', key)).toEqual(model.get(key));
          }
        }
        await store.close();
        fs.recover();
        store = await healthy();
        expect(new Map(store.durableValues('devices').map((v) => [(v as { k: string }).k, v]))).toEqual(
          model,
        );
        await store.close();
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it('keeps the state files private to the hub user (they hold device keys)', async () => {
    writeFileSync(join(dir, 'journal.jsonl'), '', { mode: 0o644 });
    const store = await open();
    await store.put('devices', 'a', { k: 'a' });
    await store.close();
    for (const name of ['state.json', 'journal.jsonl']) {
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });
});
