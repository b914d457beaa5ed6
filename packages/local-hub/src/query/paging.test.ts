import fc from 'fast-check';
import type { JsonObject } from '../twin/types';
import { QueryContinuationError } from './errors';
import { PAGE_SIZE, pageResults } from './paging';

const QUERY = 'SELECT * FROM devices';
const results: JsonObject[] = Array.from({ length: 7 }, (_, i) => ({ deviceId: `d${i}` }));

function continuationError(token: string, queryText = QUERY): QueryContinuationError {
  try {
    pageResults(results, queryText, { maxItemCount: 3, continuationToken: token });
  } catch (err) {
    if (err instanceof QueryContinuationError) return err;
    throw err;
  }
  throw new Error(`expected token ${JSON.stringify(token)} to be rejected`);
}

describe('pageResults', () => {
  it('walks more than two pages and leaves the token off the last one', () => {
    const first = pageResults(results, QUERY, { maxItemCount: 3 });
    expect(first.items.map((r) => r.deviceId)).toEqual(['d0', 'd1', 'd2']);
    expect(first.continuationToken).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = pageResults(results, QUERY, {
      maxItemCount: 3,
      continuationToken: first.continuationToken!,
    });
    expect(second.items.map((r) => r.deviceId)).toEqual(['d3', 'd4', 'd5']);
    const third = pageResults(results, QUERY, {
      maxItemCount: 3,
      continuationToken: second.continuationToken!,
    });
    expect(third).toEqual({ items: [{ deviceId: 'd6' }] });
    expect('continuationToken' in third).toBe(false);
  });

  it('returns everything in one page by default, and nothing but an empty page for no results', () => {
    expect(pageResults(results, QUERY, {})).toEqual({ items: results });
    expect(pageResults([], QUERY, { maxItemCount: 5 })).toEqual({ items: [] });
  });

  it('uses the default page size for missing or non-positive sizes and caps large ones', () => {
    const many: JsonObject[] = Array.from({ length: PAGE_SIZE.max + 5 }, (_, i) => ({ i }));
    expect(pageResults(many, QUERY, {}).items).toHaveLength(PAGE_SIZE.default);
    expect(pageResults(many, QUERY, { maxItemCount: 0 }).items).toHaveLength(PAGE_SIZE.default);
    expect(pageResults(many, QUERY, { maxItemCount: Number.NaN }).items).toHaveLength(PAGE_SIZE.default);
    expect(pageResults(many, QUERY, { maxItemCount: 2.7 }).items).toHaveLength(2);
    expect(pageResults(many, QUERY, { maxItemCount: 1e9 }).items).toHaveLength(PAGE_SIZE.max);
  });

  it('rejects a token issued for another query text', () => {
    const token = pageResults(results, 'SELECT deviceId FROM devices', { maxItemCount: 3 })
      .continuationToken!;
    expect(continuationError(token).message).toBe('Continuation token was issued for a different query');
  });

  it.each([
    '',
    'garbage',
    'not base64!',
    Buffer.from('3.abc').toString('base64url'),
    Buffer.from(`0.${'0'.repeat(16)}`).toString('base64url'),
    Buffer.from(`-3.${'0'.repeat(16)}`).toString('base64url'),
    'x'.repeat(10_000),
  ])('rejects the malformed token %#', (token) => {
    expect(continuationError(token).message).toBe('Malformed continuation token');
  });

  it('gives an empty last page when the results shrank below the token offset', () => {
    const token = pageResults(results, QUERY, { maxItemCount: 6 }).continuationToken!;
    expect(pageResults(results.slice(0, 2), QUERY, { maxItemCount: 6, continuationToken: token })).toEqual({
      items: [],
    });
  });

  it('yields every result exactly once, in order, for any page size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 25 }), (count, size) => {
        const all: JsonObject[] = Array.from({ length: count }, (_, i) => ({ i }));
        const seen: JsonObject[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = pageResults(all, QUERY, {
            maxItemCount: size,
            ...(token ? { continuationToken: token } : {}),
          });
          seen.push(...page.items);
          token = page.continuationToken;
          pages += 1;
        } while (token !== undefined && pages <= count + 1);
        expect(seen).toEqual(all);
        expect(pages).toBe(Math.max(1, Math.ceil(count / size)));
      }),
    );
  });

  it('throws only QueryContinuationError on arbitrary tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (token) => {
        try {
          pageResults(results, QUERY, { continuationToken: token });
        } catch (err) {
          expect(err).toBeInstanceOf(QueryContinuationError);
        }
      }),
    );
  });
});
