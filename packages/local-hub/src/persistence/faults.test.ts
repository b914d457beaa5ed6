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

  // Issue #21: a failed fsync whose rollback truncate fails too used to leave the batch, answered 503,
  // whole in the journal, and a restart replayed it.
  it.each<[string, Fault[], boolean]>([
    ['fsync fails, then the truncate', ['fsync', 'truncate'], false],
    ['EIO, then the truncate', ['EIO', 'truncate'], false],
    ['half written, then the truncate', ['short', 'EIO', 'truncate'], false],
    ['fsync fails, then the truncate, and the disk is full', ['fsync', 'truncate'], true],
  ])(
    'a failed append whose truncate fails is blanked in place and never replayed (%s)',
    async (_label, faults, full) => {
      const store = await open();
      await store.put('devices', 'a', { k: 'a', n: 1 });
      for (const fault of faults) fs.inject(fault);
      const written = store.put('devices', 'a', { k: 'a', n: 2 });
      // The append's write has gone through (the fault file system checks `full` when write is called):
      // from now on only overwrites in place succeed.
      fs.full = full;
      await expect(written).rejects.toBeInstanceOf(StoreWriteError);
      expect(store.durable('devices', 'a')).toEqual({ k: 'a', n: 1 });
      // What was written of it is now one blank line; appends resume after it (on a full disk, once space
      // returns).
      expect(journal()).not.toContain('"n":2');
      if (faults[0] !== 'EIO') expect(journal()).toMatch(/\n {8,}\n$/);
      fs.recover();
      await store.put('devices', 'b', { k: 'b' });
      await store.close();
      await expectRestartWith(
        new Map<string, unknown>([
          ['a', { k: 'a', n: 1 }],
          ['b', { k: 'b' }],
        ]),
      );
    },
  );

  it('refuses appends while a failed one can be neither cut off nor blanked, retries first, and at close', async () => {
    const store = await open();
    await store.put('devices', 'a', { k: 'a', n: 1 });
    // The append's fsync fails; its truncate fails and so does the blanking's fsync, twice.
    for (const fault of ['fsync', 'truncate', 'fsync', 'truncate', 'fsync'] as Fault[]) fs.inject(fault);
    await expect(store.put('devices', 'a', { k: 'a', n: 2 })).rejects.toThrow('EIO');
    // The next append retracts first, fails again, and is refused: never appended after the debris.
    await expect(store.put('devices', 'b', { k: 'b' })).rejects.toThrow('EIO');
    expect(journal()).not.toContain('"k":"b"');
    // Close retracts once more (the disk works again): the restart does not replay the failed batch.
    await store.close();
    expect(journal()).not.toContain('"n":2');
    await expectRestartWith(new Map([['a', { k: 'a', n: 1 }]]));
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
    // 'truncate' included: a failed fsync whose rollback truncate fails too is retracted by blanking.
    // The failed rollback comes also as a pair of its own, or random mixes would seldom line it up with a
    // restart (on the old code, 100 runs of singles alone never did).
    const single = fc.constantFrom<Fault>(
      'short',
      'short-then-full',
      'ENOSPC',
      'EIO',
      'fsync',
      'truncate',
      'rename',
    );
    const fault = fc.oneof(
      single.map((f) => [f]),
      fc.constantFrom<Fault[]>(['fsync', 'truncate'], ['fsync', 'truncate', 'truncate']),
    );
    const write = fc.record({ key: fc.constantFrom('a', 'b', 'c'), remove: fc.boolean(), pad: fc.nat(300) });
    const step = fc.oneof(
      fc.record({ faults: fc.array(fault, { maxLength: 3 }).map((groups) => groups.flat()) }),
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
