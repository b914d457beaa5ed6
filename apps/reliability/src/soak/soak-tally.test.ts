import { newTally, rebootTimeOf, tallyCall, unexpectedCount } from './soak-tally';

describe('soak tally', () => {
  it('counts 200 answers with a reboot time as reboots and everything else as unexpected', () => {
    let tally = newTally();
    tally = tallyCall(tally, {
      kind: 'answered',
      status: 200,
      payload: { rebootTime: '2026-01-01T00:00:00.000Z' },
    });
    tally = tallyCall(tally, { kind: 'answered', status: 200, payload: {} });
    tally = tallyCall(tally, { kind: 'answered', status: 409, payload: { result: 'busy' } });
    tally = tallyCall(tally, { kind: 'timed-out' });
    tally = tallyCall(tally, { kind: 'failed', reason: 'ECONNRESET' });
    tally = tallyCall(tally, { kind: 'failed', reason: 'ECONNRESET' });
    expect(tally).toEqual({
      calls: 6,
      rebooted: 1,
      unexpected: { 'answered 200': 1, 'answered 409': 1, 'timed-out': 1, 'failed ECONNRESET': 2 },
    });
    expect(unexpectedCount(tally)).toBe(5);
  });

  it('reads only valid reboot times', () => {
    expect(rebootTimeOf({ rebootTime: 'nope' })).toBeUndefined();
    expect(rebootTimeOf(null)).toBeUndefined();
    expect(rebootTimeOf({ rebootTime: '2026-01-01T00:00:00Z' })).toBe('2026-01-01T00:00:00Z');
  });
});
