import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../twin/types';
import type { Condition, LiteralValue } from './ast';
import { matches } from './evaluate';

const path = { kind: 'path' as const, path: { segments: ['v'], text: 'v', position: 0 } };
const literal = fc.oneof(
  fc.constantFrom<LiteralValue>('a', 'b', '1', 1, 2, 0, -0, 1.5, true, false, null),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -3, max: 3 }),
);
const documentValue = fc.oneof(literal, fc.constant(undefined), fc.constant({ a: 1 }), fc.constant([1]));

/** IN as the chain it stands for: `v = a OR v = b …`; NIN: `v != a AND v != b …`. */
function chain(negated: boolean, values: LiteralValue[]): Condition {
  const compares: Condition[] = values.map((value) => ({
    kind: 'compare',
    operator: negated ? '!=' : '=',
    left: path,
    right: { kind: 'literal', value },
  }));
  return compares.reduce((left, right) => ({ kind: negated ? 'and' : 'or', left, right }));
}

describe('IN and NIN', () => {
  it('mean the chains of = and != they stand for, for any value and list', () => {
    fc.assert(
      fc.property(
        fc.array(literal, { minLength: 1, maxLength: 6 }),
        documentValue,
        fc.boolean(),
        (values, v, negated) => {
          const document: JsonObject = v === undefined ? {} : { v: v as JsonValue };
          const condition: Condition = { kind: 'in', negated, operand: path, values };
          expect(matches(condition, document)).toBe(matches(chain(negated, values), document));
        },
      ),
    );
  });

  it('answers a long list (a fleet of ids) the same as a short one', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `fleet-${i}`);
    const condition: Condition = { kind: 'in', negated: false, operand: path, values };
    expect(matches(condition, { v: 'fleet-999' })).toBe(true);
    expect(matches(condition, { v: 'fleet-1000' })).toBe(false);
    expect(matches({ ...condition, negated: true }, { v: 'fleet-1000' })).toBe(true);
  });
});
