import fc from 'fast-check';
import { ContractError } from './errors';
import { LIMITS } from './limits';
import { parseRebootRequest, REBOOT_METHOD_NAME, safeParseRebootRequest } from './reboot-request';

describe('reboot request payload', () => {
  it('names the seed method', () => {
    expect(REBOOT_METHOD_NAME).toBe('rebootDevice');
  });

  it.each([undefined, null, '', '  ', 'null'])(
    'accepts an absent payload (%p) as an empty request',
    (payload) => {
      expect(parseRebootRequest(payload)).toEqual({});
    },
  );

  it("accepts the seed's object payload", () => {
    expect(parseRebootRequest({ method_number: '42' })).toEqual({ method_number: '42' });
  });

  it("accepts the seed Python service's double-encoded JSON string", () => {
    expect(parseRebootRequest('{"method_number":"42"}')).toEqual({ method_number: '42' });
  });

  it('accepts the optional delay and reason within bounds and keeps unknown fields', () => {
    expect(parseRebootRequest({ delaySeconds: 5, reason: 'kernel update', ring: 2 })).toEqual({
      delaySeconds: 5,
      reason: 'kernel update',
      ring: 2,
    });
  });

  it.each([
    [{ delaySeconds: '5' }, 'delaySeconds'],
    [{ delaySeconds: -1 }, 'delaySeconds'],
    [{ delaySeconds: 1.5 }, 'delaySeconds'],
    [{ delaySeconds: LIMITS.maxDelaySeconds + 1 }, 'delaySeconds'],
    [{ reason: 7 }, 'reason'],
    [{ reason: 'x'.repeat(LIMITS.reasonLength + 1) }, 'reason'],
    [{ method_number: { nested: true } }, 'method_number'],
  ])('rejects %j with a readable message naming %s', (payload, field) => {
    const result = safeParseRebootRequest(payload);
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error).toBeInstanceOf(ContractError);
    expect(result.error.message).toContain(field);
    expect(result.error.message).toMatch(/^Invalid rebootDevice request payload:/);
    expect(result.error.message).not.toMatch(/\n\s+at /); // no stack trace in the message
  });

  it.each([[42], [true], [[1, 2]], ['not json'], ['[1]']])('rejects a non-object payload %j', (payload) => {
    expect(() => parseRebootRequest(payload)).toThrow(ContractError);
  });

  it('rejects a double-encoded string whose fields have wrong types', () => {
    expect(() => parseRebootRequest('{"delaySeconds":"soon"}')).toThrow(/delaySeconds/);
  });

  it('rejects payloads over the 128 KB method limit', () => {
    const big = { filler: 'x'.repeat(LIMITS.methodPayloadBytes) };
    const result = safeParseRebootRequest(big);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.message).toMatch(/limit is 131072/);
    expect(() => parseRebootRequest(JSON.stringify(big))).toThrow(/limit/);
  });

  it('rejects values that cannot be serialized instead of throwing something else', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => parseRebootRequest(cyclic)).toThrow(ContractError);
    expect(() => parseRebootRequest({ n: 10n })).toThrow(ContractError);
  });

  describe('properties', () => {
    it('never throws from safeParse on arbitrary JSON, as value or as string', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          safeParseRebootRequest(value);
          safeParseRebootRequest(JSON.stringify(value));
        }),
      );
    });

    it('whatever it accepts round-trips, directly and double-encoded', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const first = safeParseRebootRequest(value);
          if (!first.success) return;
          expect(parseRebootRequest(first.data)).toEqual(first.data);
          // Over the wire the value is JSON, which has no -0: compare with what JSON carries.
          const onTheWire = JSON.parse(JSON.stringify(first.data));
          expect(parseRebootRequest(onTheWire)).toEqual(onTheWire);
          expect(parseRebootRequest(JSON.stringify(first.data))).toEqual(onTheWire);
        }),
      );
    });

    it('round-trips -0 as JSON carries it (regression: fast-check seed 1502964917)', () => {
      expect(parseRebootRequest(JSON.stringify({ '': [-0] }))).toEqual({ '': [0] });
    });

    it('accepts every in-bounds request', () => {
      const request = fc.record(
        {
          delaySeconds: fc.integer({ min: 0, max: LIMITS.maxDelaySeconds }),
          reason: fc.string({ maxLength: LIMITS.reasonLength }),
          method_number: fc.oneof(fc.string(), fc.integer()),
        },
        { requiredKeys: [] },
      );
      fc.assert(fc.property(request, (r) => expect(parseRebootRequest(r)).toEqual(r)));
    });
  });
});
