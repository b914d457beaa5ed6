import fc from 'fast-check';
import { TwinPatchError } from './errors';
import { applyTwinPatch, createTwin, replaceTwinSection } from './twin';
import type { JsonObject, TwinRecord } from './types';
import { validateTwinPatch } from './validate';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T00:01:00.000Z');
const T2 = new Date('2026-01-01T00:02:00.000Z');

function patched(twin: TwinRecord, section: 'tags' | 'desired' | 'reported', patch: JsonObject, now = T1) {
  return applyTwinPatch(twin, section, validateTwinPatch(patch, section), now);
}

describe('createTwin', () => {
  it('starts with empty sections at version 1 and root metadata', () => {
    const twin = createTwin('dev-1', T0);
    expect(twin).toEqual({
      deviceId: 'dev-1',
      etag: 'AAAAAAAAAAE=',
      version: 1,
      tags: {},
      desired: {
        values: {},
        version: 1,
        metadata: { $lastUpdated: T0.toISOString(), $lastUpdatedVersion: 1 },
      },
      reported: { values: {}, version: 1, metadata: { $lastUpdated: T0.toISOString() } },
    });
  });
});

describe('applyTwinPatch merge semantics', () => {
  const base = patched(createTwin('d', T0), 'reported', {
    a: { b: 1, c: { d: 'x' } },
    keep: true,
    list: [1, 2, 3],
  });

  it('merges nested objects and replaces leaves', () => {
    const next = patched(base, 'reported', { a: { b: 2, c: { e: 'y' } } });
    expect(next.reported.values).toEqual({ a: { b: 2, c: { d: 'x', e: 'y' } }, keep: true, list: [1, 2, 3] });
  });

  it('deletes keys given as null, at any depth', () => {
    const next = patched(base, 'reported', { a: { c: null }, keep: null });
    expect(next.reported.values).toEqual({ a: { b: 1 }, list: [1, 2, 3] });
    expect(next.reported.metadata).not.toHaveProperty('keep');
    expect(next.reported.metadata.a).not.toHaveProperty('c');
  });

  it('replaces arrays whole instead of merging them', () => {
    expect(patched(base, 'reported', { list: [9] }).reported.values.list).toEqual([9]);
  });

  it('replaces a leaf with an object and an object with a leaf', () => {
    const next = patched(base, 'reported', { keep: { now: 'object' }, a: 5 });
    expect(next.reported.values).toEqual({ a: 5, keep: { now: 'object' }, list: [1, 2, 3] });
    expect(next.reported.metadata.a).toEqual({ $lastUpdated: T1.toISOString() });
  });

  it('treats deleting a missing key as a no-op write that still bumps the versions (as IoT Hub does)', () => {
    const next = patched(base, 'reported', { missing: null, a: { missing: null } });
    expect(next.reported.values).toEqual(base.reported.values);
    expect(next.reported.version).toBe(base.reported.version + 1);
    expect(next.version).toBe(base.version + 1);
    expect(next.etag).not.toBe(base.etag);
  });

  it('never mutates its inputs', () => {
    const before = structuredClone(base);
    const patch = validateTwinPatch({ a: { b: 3 }, list: [4] }, 'reported');
    const next = applyTwinPatch(base, 'reported', patch, T1);
    expect(base).toEqual(before);
    (next.reported.values.list as number[]).push(5);
    expect(patch.list).toEqual([4]);
  });

  it('keeps "constructor" and "__proto__" keys as data', () => {
    const next = patched(base, 'tags', JSON.parse('{"constructor":{"x":1},"__proto__":{"y":2}}'));
    expect(next.tags).toEqual(JSON.parse('{"constructor":{"x":1},"__proto__":{"y":2}}'));
    expect(Object.getPrototypeOf(next.tags)).toBe(Object.prototype);
  });
});

describe('applyTwinPatch versions and metadata', () => {
  it('bumps only the patched section $version, and the twin version and etag on every write', () => {
    const t0 = createTwin('d', T0);
    const t1 = patched(t0, 'desired', { x: 1 });
    const t2 = patched(t1, 'reported', { y: 1 });
    const t3 = patched(t2, 'tags', { z: 1 });
    expect([t1.desired.version, t1.reported.version, t1.version]).toEqual([2, 1, 2]);
    expect([t2.desired.version, t2.reported.version, t2.version]).toEqual([2, 2, 3]);
    expect([t3.desired.version, t3.reported.version, t3.version]).toEqual([2, 2, 4]);
    expect(new Set([t0.etag, t1.etag, t2.etag, t3.etag]).size).toBe(4);
  });

  it('stamps touched desired nodes and the root with $lastUpdated and $lastUpdatedVersion', () => {
    const t1 = patched(createTwin('d', T0), 'desired', { a: { b: 1, c: 2 }, other: 'x' }, T1);
    const t2 = patched(t1, 'desired', { a: { b: 5 } }, T2);
    const at = (time: Date, version: number) => ({
      $lastUpdated: time.toISOString(),
      $lastUpdatedVersion: version,
    });
    expect(t2.desired.metadata).toEqual({
      ...at(T2, 3),
      a: { ...at(T2, 3), b: at(T2, 3), c: at(T1, 2) },
      other: at(T1, 2),
    });
  });

  it('stamps reported nodes with $lastUpdated only', () => {
    const t1 = patched(createTwin('d', T0), 'reported', { a: { b: 1 } }, T1);
    expect(t1.reported.metadata).toEqual({
      $lastUpdated: T1.toISOString(),
      a: { $lastUpdated: T1.toISOString(), b: { $lastUpdated: T1.toISOString() } },
    });
  });

  it('keeps versions strictly increasing over any sequence of writes', () => {
    const patchArb = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.constant(null), fc.integer()));
    const writeArb = fc.tuple(fc.constantFrom('tags', 'desired', 'reported' as const), patchArb);
    fc.assert(
      fc.property(fc.array(writeArb, { maxLength: 20 }), (writes) => {
        let twin = createTwin('d', T0);
        for (const [section, patch] of writes) {
          const next = patched(twin, section, patch);
          expect(next.version).toBe(twin.version + 1);
          expect(next.desired.version).toBeGreaterThanOrEqual(twin.desired.version);
          expect(next.reported.version).toBeGreaterThanOrEqual(twin.reported.version);
          if (section !== 'tags') expect(next[section].version).toBe(twin[section].version + 1);
          twin = next;
        }
      }),
    );
  });
});

describe('section size limits', () => {
  /** An object whose compact JSON is exactly `bytes` long, built from strings under the 4 KB value limit. */
  function sized(bytes: number): JsonObject {
    const out: JsonObject = {};
    for (let i = 0; ; i += 1) {
      const key = `k${String(i).padStart(2, '0')}`;
      const overhead = (i === 0 ? 0 : 1) + `"${key}":""`.length;
      const room = bytes - JSON.stringify(out).length - overhead;
      out[key] = 'x'.repeat(Math.min(room, 4000));
      if (room <= 4000) return out;
    }
  }

  function thrown(write: () => unknown): TwinPatchError {
    try {
      write();
    } catch (err) {
      if (err instanceof TwinPatchError) return err;
      throw err;
    }
    throw new Error('expected the write to be rejected');
  }

  it.each([
    ['tags', 'tags', 8192],
    ['desired', 'properties.desired', 32768],
    ['reported', 'properties.reported', 32768],
  ] as const)('%s accepts exactly its limit and rejects one byte more', (section, path, limit) => {
    expect(JSON.stringify(sized(limit))).toHaveLength(limit);
    const twin = createTwin('d', T0);
    expect(() => applyTwinPatch(twin, section, sized(limit), T1)).not.toThrow();
    const err = thrown(() => applyTwinPatch(twin, section, sized(limit + 1), T1));
    expect(err.code).toBe('TooLarge');
    expect(err.message).toBe(`${path} would be ${limit + 1} bytes; the limit is ${limit} bytes`);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const twin = createTwin('d', T0);
    // 6199 characters but 8199 bytes.
    const wide = { ...sized(4192), w: 'é'.repeat(2000) };
    expect(thrown(() => applyTwinPatch(twin, 'tags', wide, T1)).code).toBe('TooLarge');
  });

  it('measures the merged result, not the patch', () => {
    const full = applyTwinPatch(createTwin('d', T0), 'tags', sized(8000), T1);
    expect(() => applyTwinPatch(full, 'tags', { more: 'x'.repeat(200) }, T1)).toThrow(/^tags would be/);
    expect(() => applyTwinPatch(full, 'tags', { k00: null, more: 'x'.repeat(200) }, T1)).not.toThrow();
  });

  it('leaves $metadata and $version out of the measure', () => {
    const full = applyTwinPatch(createTwin('d', T0), 'desired', sized(32768), T1);
    expect(() => applyTwinPatch(full, 'desired', {}, T2)).not.toThrow();
  });
});

describe('replaceTwinSection', () => {
  it('replaces desired whole, dropping nulls, stamping every node and bumping versions', () => {
    const t1 = patched(createTwin('d', T0), 'desired', { old: 1, a: { b: 1 } }, T1);
    const t2 = replaceTwinSection(t1, 'desired', { a: { c: 2 }, gone: null }, T2);
    const at = { $lastUpdated: T2.toISOString(), $lastUpdatedVersion: 3 };
    expect(t2.desired).toEqual({
      values: { a: { c: 2 } },
      version: 3,
      metadata: { ...at, a: { ...at, c: at } },
    });
    expect(t2.version).toBe(t1.version + 1);
    expect(t2.reported).toBe(t1.reported);
  });

  it('replaces tags whole and enforces the tags limit', () => {
    const t1 = patched(createTwin('d', T0), 'tags', { old: 1 });
    expect(replaceTwinSection(t1, 'tags', { site: 'x' }, T2).tags).toEqual({ site: 'x' });
    const big = { a: 'x'.repeat(4000), b: 'x'.repeat(4000), c: 'x'.repeat(200) };
    expect(() => replaceTwinSection(t1, 'tags', big, T2)).toThrow(/^tags would be 8222 bytes/);
  });
});

describe('validate + apply on arbitrary JSON', () => {
  it('throws nothing but TwinPatchError', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.constantFrom('tags', 'desired', 'reported' as const),
        (value, section) => {
          try {
            applyTwinPatch(createTwin('d', T0), section, validateTwinPatch(value, section), T1);
          } catch (err) {
            expect(err).toBeInstanceOf(TwinPatchError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
