import { cloneJson, setOwn } from './json';
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

describe('setOwn', () => {
  it('makes an own, enumerable, writable data property for every key, the prototype untouched', () => {
    const obj: JsonObject = {};
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'k'])
      setOwn(obj, key, { key });
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'k']);
    for (const key of Object.keys(obj)) {
      expect(Object.getOwnPropertyDescriptor(obj, key)).toEqual({
        value: { key },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    setOwn(obj, '__proto__', 1);
    setOwn(obj, 'k', 2);
    expect(JSON.stringify(obj)).toBe(
      '{"__proto__":1,"constructor":{"key":"constructor"},"toString":{"key":"toString"},"hasOwnProperty":{"key":"hasOwnProperty"},"k":2}',
    );
  });
});
