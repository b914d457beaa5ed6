import { floorRatio, percentile, perSecond, summarize } from './stats';

describe('percentile (nearest rank)', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  it('picks the smallest sample with p % at or below it', () => {
    expect(percentile(ten, 50)).toBe(5);
    expect(percentile(ten, 90)).toBe(9);
    expect(percentile(ten, 91)).toBe(10);
    expect(percentile(ten, 99)).toBe(10);
    expect(percentile(ten, 100)).toBe(10);
    expect(percentile(ten, 0)).toBe(1);
  });

  it('never interpolates between samples', () => {
    expect(percentile([10, 20], 50)).toBe(10);
    expect(percentile([10, 20], 51)).toBe(20);
  });

  it('refuses no samples and out-of-range percentiles', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile(ten, -1)).toThrow(RangeError);
    expect(() => percentile(ten, 101)).toThrow(RangeError);
    expect(() => percentile(ten, Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts a copy and reports the figures', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    const summary = summarize(samples);
    expect(summary).toEqual({ count: 100, min: 1, median: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(samples[0]).toBe(100);
  });

  it('refuses non-finite samples', () => {
    expect(() => summarize([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('floorRatio', () => {
  it('divides by the sum of the floors', () => {
    expect(floorRatio(6, [1, 2])).toBe(2);
    expect(floorRatio(1.5, [1])).toBe(1.5);
  });

  it('refuses a zero or missing floor', () => {
    expect(() => floorRatio(1, [])).toThrow(RangeError);
    expect(() => floorRatio(1, [0])).toThrow(RangeError);
    expect(() => floorRatio(Number.NaN, [1])).toThrow(RangeError);
  });
});

describe('perSecond', () => {
  it('scales a count to one second', () => {
    expect(perSecond(500, 250)).toBe(2000);
  });

  it('refuses an empty window', () => {
    expect(() => perSecond(1, 0)).toThrow(RangeError);
  });
});
