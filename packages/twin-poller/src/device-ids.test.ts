import fc from 'fast-check';
import { assertDeviceId, buildDeviceQuery, quoteDeviceId } from './device-ids';
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
  });
});
