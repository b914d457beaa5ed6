import { QuerySnapshots, SNAPSHOT_TTL_MS } from './snapshots';

describe('QuerySnapshots', () => {
  it('serves a run for its TTL, then forgets it', () => {
    let now = 1000;
    const snapshots = new QuerySnapshots(() => now);
    const results = [{ deviceId: 'a' }];
    snapshots.set('SELECT * FROM devices', results);
    expect(snapshots.get('SELECT * FROM devices')).toBe(results);
    expect(snapshots.get('SELECT deviceId FROM devices')).toBeUndefined();
    now += SNAPSHOT_TTL_MS + 1;
    expect(snapshots.get('SELECT * FROM devices')).toBeUndefined();
  });

  it('keeps a bounded number of runs, dropping the oldest', () => {
    const snapshots = new QuerySnapshots(() => 0);
    for (let i = 0; i < 20; i++) snapshots.set(`q${i}`, []);
    expect(snapshots.get('q0')).toBeUndefined();
    expect(snapshots.get('q19')).toEqual([]);
  });
});
