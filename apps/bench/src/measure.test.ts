import { timeInterleaved } from './measure';

describe('timeInterleaved', () => {
  it('runs every op once per round, rotating the order, and measures only after the warm-up', async () => {
    const calls: string[] = [];
    const op = (name: string) => async () => void calls.push(name);
    const samples = await timeInterleaved(1, 3, { a: op('a'), b: op('b'), c: op('c') });

    expect(calls.join('')).toBe('abc' + 'bca' + 'cab' + 'abc');
    expect(samples.a).toHaveLength(3);
    expect(samples.b).toHaveLength(3);
    expect(samples.c).toHaveLength(3);
    expect(samples.a.every((ms) => ms >= 0)).toBe(true);
  });

  it('rejects as soon as one op fails', async () => {
    let after = 0;
    const run = timeInterleaved(0, 5, {
      ok: async () => void after++,
      broken: async () => {
        throw new Error('call failed');
      },
    });
    await expect(run).rejects.toThrow('call failed');
    expect(after).toBe(1);
  });
});
