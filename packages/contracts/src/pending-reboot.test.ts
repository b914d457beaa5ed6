import { ContractError } from './errors';
import { safeParsePendingReboot } from './pending-reboot';

describe('pending reboot record', () => {
  const rebooting = {
    version: 1,
    phase: 'rebooting',
    requestId: 'r-1',
    acceptedAt: '2026-11-28T04:00:00.000Z',
  } as const;

  it('accepts both phases', () => {
    expect(safeParsePendingReboot(rebooting)).toEqual({ success: true, data: rebooting });
    const rebooted = { ...rebooting, phase: 'rebooted', rebootTime: '2026-11-28T04:00:01.000Z' };
    expect(safeParsePendingReboot(rebooted)).toEqual({ success: true, data: rebooted });
  });

  it('accepts a correlation id and a planned time, and records without them (older devices)', () => {
    const withId = { ...rebooting, correlationId: 'c-1', scheduledFor: '2026-11-28T04:01:00.000Z' };
    expect(safeParsePendingReboot(withId)).toEqual({ success: true, data: withId });
    expect(safeParsePendingReboot({ ...rebooting, correlationId: 'no spaces' }).success).toBe(false);
  });

  it.each([
    ['a rebooted record without its time', { ...rebooting, phase: 'rebooted' }],
    ['an unknown version', { ...rebooting, version: 2 }],
    ['an extra field', { ...rebooting, extra: true }],
    ['a time with an offset', { ...rebooting, acceptedAt: '2026-11-28T05:00:00+01:00' }],
    ['an empty request id', { ...rebooting, requestId: '' }],
    ['not an object', 'rebooting'],
  ])('refuses %s with a readable error', (_name, value) => {
    const result = safeParsePendingReboot(value);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error).toBeInstanceOf(ContractError);
      expect(result.error.message).toMatch(/^Invalid pending reboot record: /);
    }
  });
});
