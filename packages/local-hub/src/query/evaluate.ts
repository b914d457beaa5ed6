import type { JsonObject } from '../twin/types';
import type { ComparisonOperator, Condition, LiteralValue, Operand } from './ast';
import { canonicalJson, lookup, typeOf, type Value } from './values';

/**
 * Whether a twin document satisfies a WHERE condition. Two-valued logic: a comparison involving a missing
 * property or values of different JSON types is false (for `!=` too), and NOT simply negates.
 * `x IN [a, b]` means `x = a OR x = b`; `x NIN [a, b]` means `x != a AND x != b`.
 */
export function matches(condition: Condition, document: JsonObject): boolean {
  switch (condition.kind) {
    case 'and':
      return matches(condition.left, document) && matches(condition.right, document);
    case 'or':
      return matches(condition.left, document) || matches(condition.right, document);
    case 'not':
      return !matches(condition.operand, document);
    case 'compare':
      return compare(
        condition.operator,
        operandValue(condition.left, document),
        operandValue(condition.right, document),
      );
    case 'in': {
      const value = operandValue(condition.operand, document);
      if (value === undefined) return false;
      const list = inList(condition.values);
      const found = list.members.has(value as LiteralValue);
      // `!=` is false across JSON types, so NIN holds only when every candidate has the value's type.
      return condition.negated ? !found && list.types.size === 1 && list.types.has(typeOf(value)) : found;
    }
    case 'is-defined':
      return lookup(document, condition.path.segments) !== undefined;
    case 'is-null':
      return lookup(document, condition.path.segments) === null;
    case 'starts-with': {
      const value = lookup(document, condition.path.segments);
      return typeof value === 'string' && value.startsWith(condition.text);
    }
    case 'ends-with': {
      const value = lookup(document, condition.path.segments);
      return typeof value === 'string' && value.endsWith(condition.text);
    }
  }
}

/**
 * The literals of an IN list as a Set, built once per parsed list: a fleet's poll sends hundreds of ids,
 * and comparing each twin with each id one by one made a query cost twins × ids. The literals are scalars,
 * for which `=` is same type and same value, which is what Set membership tests (0 and -0 are one value).
 */
const inLists = new WeakMap<readonly LiteralValue[], { members: Set<LiteralValue>; types: Set<string> }>();

function inList(values: readonly LiteralValue[]) {
  let list = inLists.get(values);
  if (list === undefined) {
    list = { members: new Set(values), types: new Set(values.map(typeOf)) };
    inLists.set(values, list);
  }
  return list;
}

function operandValue(operand: Operand, document: JsonObject): Value {
  return operand.kind === 'path' ? lookup(document, operand.path.segments) : operand.value;
}

/** Only values of the same JSON type compare; strings order by code unit, numbers numerically. */
function compare(operator: ComparisonOperator, left: Value, right: Value): boolean {
  if (left === undefined || right === undefined || typeOf(left) !== typeOf(right)) return false;
  if (operator === '=') return canonicalJson(left) === canonicalJson(right);
  if (operator === '!=') return canonicalJson(left) !== canonicalJson(right);
  const bothNumbers = typeof left === 'number' && typeof right === 'number';
  const bothStrings = typeof left === 'string' && typeof right === 'string';
  if (!bothNumbers && !bothStrings) return false;
  const order = left < right ? -1 : left > right ? 1 : 0;
  switch (operator) {
    case '<':
      return order < 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '>=':
      return order >= 0;
  }
}
