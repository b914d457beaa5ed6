import fc from 'fast-check';
import {
  assertDeviceId,
  buildDeviceQueries,
  buildDeviceQuery,
  MAX_QUERY_BYTES,
  quoteDeviceId,
} from './device-ids';
import { PollOptionsError } from './errors';

const ID_CHARS = "abcXYZ019-.+%_#*?!(),:=@$'";
const deviceIdArb = fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 128 });

describe('device ids in queries', () => {
  it('quotes ids with single quotes, or double quotes when the id holds one', () => {
    expect(quoteDeviceId('dev-1')).toBe("'dev-1'");
    expect(quoteDeviceId("o'neil")).toBe(`"o'neil"`);
  });

  it('builds an IN list with an optional condition', () => {
    expect(buildDeviceQuery(['a', 'b'])).toBe("SELECT * FROM devices WHERE deviceId IN ['a', 'b']");
    expect(buildDeviceQuery(['a'], 'IS_DEFINED(properties.reported.rebootTime)')).toBe(
      "SELECT * FROM devices WHERE deviceId IN ['a'] AND (IS_DEFINED(properties.reported.rebootTime))",
    );
  });

  it('keeps every valid id a single literal that cannot end early', () => {
    fc.assert(
      fc.property(deviceIdArb, (id) => {
        const literal = quoteDeviceId(id);
        const quote = literal[0] as string;
        expect(literal.slice(1, -1)).toBe(id);
        expect(literal.at(-1)).toBe(quote);
        expect(id.includes(quote)).toBe(false);
      }),
    );
  });

  it.each([
    [''],
    ['a'.repeat(129)],
    ['has space'],
    ["x' OR 1=1 OR deviceId='y\""],
    ['back\\slash'],
    ['ünïcode'],
    [42],
    [null],
  ])('rejects %j', (id) => {
    expect(() => assertDeviceId(id)).toThrow(PollOptionsError);
  });

  it('refuses an empty device list', () => {
    expect(() => buildDeviceQuery([])).toThrow(/at least one device id/);
    expect(() => buildDeviceQueries([])).toThrow(/at least one device id/);
  });
});

describe('device ids split over queries that fit the size limit', () => {
  it('is one query, the same as buildDeviceQuery, while it fits', () => {
    expect(buildDeviceQueries(['a', 'b'], 'x = 1')).toEqual([buildDeviceQuery(['a', 'b'], 'x = 1')]);
  });

  it('splits exactly at the limit', () => {
    const one = buildDeviceQuery(['aa']).length; // SELECT … IN ['aa']
    expect(buildDeviceQueries(['aa', 'bb'], undefined, one + 6)).toEqual([buildDeviceQuery(['aa', 'bb'])]);
    expect(buildDeviceQueries(['aa', 'bb'], undefined, one + 5)).toEqual([
      buildDeviceQuery(['aa']),
      buildDeviceQuery(['bb']),
    ]);
  });

  it('covers every id once, in order, each query within the limit (1,000 ids of a fleet)', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `fleet1000-${String(i).padStart(3, '0')}`);
    const queries = buildDeviceQueries(ids, 'IS_DEFINED(properties.reported.rebootTime)');
    expect(queries.length).toBeGreaterThan(1);
    for (const q of queries) expect(Buffer.byteLength(q)).toBeLessThanOrEqual(MAX_QUERY_BYTES);
    const listed = queries.flatMap((q) => [...q.matchAll(/'([^']+)'/g)].map((m) => m[1]));
    expect(listed).toEqual(ids);
  });

  it('packs any ids and condition into as few queries as fit', () => {
    fc.assert(
      fc.property(
        fc.array(deviceIdArb, { minLength: 1, maxLength: 60 }),
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        fc.integer({ min: 400, max: 2000 }),
        (ids, where, maxBytes) => {
          const queries = buildDeviceQueries(ids, where, maxBytes);
          for (const q of queries) expect(Buffer.byteLength(q)).toBeLessThanOrEqual(maxBytes);
          // The queries are consecutive batches of the ids, each as long as fits.
          let next = 0;
          for (const [i, q] of queries.entries()) {
            let end = next + 1;
            while (end <= ids.length && buildDeviceQuery(ids.slice(next, end), where) !== q) end++;
            expect(end).toBeLessThanOrEqual(ids.length);
            if (i < queries.length - 1) {
              const withNext = buildDeviceQuery(ids.slice(next, end + 1), where);
              expect(Buffer.byteLength(withNext)).toBeGreaterThan(maxBytes);
            }
            next = end;
          }
          expect(next).toBe(ids.length);
        },
      ),
    );
  });

  it('refuses a condition too long for even one id', () => {
    expect(() => buildDeviceQueries(['a'], 'x'.repeat(MAX_QUERY_BYTES))).toThrow(PollOptionsError);
  });
});
