import fc from 'fast-check';
import { checkLatency, type Direction, forwards, type LinkMode, newLink, planChunk } from './link-plan';

describe('planChunk', () => {
  it('delivers after the latency when the link passes traffic', () => {
    const { plan } = planChunk(newLink(250), 'upstream', 1_000);
    expect(plan).toEqual({ action: 'deliver', dueMs: 1_250 });
  });

  it('never lets a chunk overtake the previous one when the latency drops', () => {
    let state = newLink(500);
    state = planChunk(state, 'downstream', 0).state;
    state = { ...state, latencyMs: 0 };
    expect(planChunk(state, 'downstream', 10).plan).toEqual({ action: 'deliver', dueMs: 500 });
    // the other direction is independent
    expect(planChunk(state, 'upstream', 10).plan).toEqual({ action: 'deliver', dueMs: 10 });
  });

  it('discards both ways on drop and one way on half-open, without touching the schedule', () => {
    const dropped = { ...newLink(), mode: { kind: 'drop' } as const };
    expect(planChunk(dropped, 'upstream', 5)).toEqual({ plan: { action: 'discard' }, state: dropped });
    expect(planChunk(dropped, 'downstream', 5).plan).toEqual({ action: 'discard' });
    const half = { ...newLink(), mode: { kind: 'half-open', blocked: 'downstream' } as const };
    expect(planChunk(half, 'downstream', 5).plan).toEqual({ action: 'discard' });
    expect(planChunk(half, 'upstream', 5).plan).toEqual({ action: 'deliver', dueMs: 5 });
  });

  it('keeps every direction in order for any arrivals, latency changes and modes', () => {
    const direction = fc.constantFrom<Direction>('upstream', 'downstream');
    const mode = fc.constantFrom<LinkMode>(
      { kind: 'pass' },
      { kind: 'drop' },
      { kind: 'half-open', blocked: 'upstream' },
      { kind: 'half-open', blocked: 'downstream' },
    );
    const step = fc.record({ gap: fc.nat(1_000), direction, latency: fc.nat(5_000), mode });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let state = newLink();
        let now = 0;
        const last: Record<Direction, number> = { upstream: -1, downstream: -1 };
        for (const s of steps) {
          now += s.gap;
          state = { ...state, latencyMs: s.latency, mode: s.mode };
          const result = planChunk(state, s.direction, now);
          state = result.state;
          if (!forwards(s.mode, s.direction)) {
            expect(result.plan.action).toBe('discard');
            continue;
          }
          if (result.plan.action !== 'deliver') throw new Error('expected a delivery');
          expect(result.plan.dueMs).toBeGreaterThanOrEqual(now + s.latency);
          expect(result.plan.dueMs).toBeGreaterThanOrEqual(last[s.direction]);
          last[s.direction] = result.plan.dueMs;
        }
      }),
    );
  });
});

describe('checkLatency', () => {
  it('accepts 0..600000 ms and refuses the rest', () => {
    expect(checkLatency(0)).toBe(0);
    expect(checkLatency(600_000)).toBe(600_000);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 600_001]) {
      expect(() => checkLatency(bad)).toThrow(RangeError);
    }
  });
});
