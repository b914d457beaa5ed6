import { cumulative, latencySpec, timelineSpec } from './specs';

describe('cumulative', () => {
  it('counts devices after each event, from the origin, in time order', () => {
    expect(cumulative([300, 100, 200])).toEqual([
      { t: 0, devices: 0 },
      { t: 0.1, devices: 1 },
      { t: 0.2, devices: 2 },
      { t: 0.3, devices: 3 },
    ]);
  });

  it('thins long series but keeps the last event', () => {
    const events = Array.from({ length: 1001 }, (_, i) => i);
    const points = cumulative(events, 100);
    expect(points.length).toBeLessThanOrEqual(102);
    expect(points[points.length - 1]).toEqual({ t: 1, devices: 1001 });
    expect(points.map((p) => p.devices)).toEqual([...points.map((p) => p.devices)].sort((a, b) => a - b));
  });

  it('is just the origin with no events', () => {
    expect(cumulative([])).toEqual([{ t: 0, devices: 0 }]);
  });
});

describe('latencySpec', () => {
  it('has one value per sample, labelled with its series and kind, rows in the given order', () => {
    const spec = latencySpec('t', [
      { name: 'echo', kind: 'independent floor', samples: [1, 2] },
      { name: 'noop', kind: 'SDK through the hub', samples: [5] },
    ]);
    expect((spec.data as { values: unknown[] }).values).toEqual([
      { series: 'echo', kind: 'independent floor', ms: 1 },
      { series: 'echo', kind: 'independent floor', ms: 2 },
      { series: 'noop', kind: 'SDK through the hub', ms: 5 },
    ]);
    expect((spec.encoding as { y: { sort: string[] } }).y.sort).toEqual(['echo', 'noop']);
  });
});

describe('timelineSpec', () => {
  it('facets by phase in the order given and keeps each metric apart', () => {
    const spec = timelineSpec('t', [
      { phase: 'job', metric: 'answered', points: cumulative([10]) },
      { phase: 'connect', metric: 'connected', points: cumulative([5, 6]) },
    ]);
    expect((spec.facet as { column: { sort: string[] } }).column.sort).toEqual(['job', 'connect']);
    const values = (spec.data as { values: Array<{ phase: string; metric: string; devices: number }> })
      .values;
    expect(values.filter((v) => v.phase === 'connect').map((v) => v.devices)).toEqual([0, 1, 2]);
    expect(values.filter((v) => v.phase === 'job').map((v) => v.metric)).toEqual(['answered', 'answered']);
  });
});
