import { cloneJson } from './json';
import type { JsonObject } from './types';

describe('cloneJson', () => {
  it('copies nested objects and arrays so that changing the copy leaves the original alone', () => {
    const original: JsonObject = { a: { b: [1, { c: 'x' }], d: null }, e: true, f: 2.5 };
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    expect(Object.keys(copy)).toEqual(['a', 'e', 'f']);
    ((copy.a as JsonObject).b as JsonObject[])[1] = { c: 'changed' };
    (copy.a as JsonObject).d = 'set';
    expect(original).toEqual({ a: { b: [1, { c: 'x' }], d: null }, e: true, f: 2.5 });
  });

  it('keeps a __proto__ key as an own property, never as the prototype', () => {
    const original = JSON.parse('{"__proto__":{"polluted":true},"k":1}') as JsonObject;
    const copy = cloneJson(original);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(original));
  });

  it('returns primitives as they are', () => {
    expect(cloneJson('s')).toBe('s');
    expect(cloneJson(0)).toBe(0);
    expect(cloneJson(null)).toBeNull();
  });
});
