import fc from 'fast-check';
import { ContractError } from './errors';
import {
  parseRebootResponse,
  REBOOT_RESULT_STATUS,
  type RebootResponse,
  rebootAnswer,
  safeParseRebootResponse,
} from './reboot-response';

const T = '2026-11-28T04:00:00.000Z';

describe('reboot response payload', () => {
  const cases: Array<[RebootResponse, number]> = [
    [{ result: 'rebooted', rebootTime: T, message: 'Rebooted' }, 200],
    [{ result: 'accepted', message: 'Reboot accepted' }, 202],
    [{ result: 'bad-request', error: 'delaySeconds: expected number' }, 400],
    [{ result: 'busy', error: 'A reboot is already in progress' }, 409],
    [{ result: 'reboot-failed', error: 'disk busy' }, 500],
    [{ result: 'report-failed', rebootTime: T, error: 'twin update timed out' }, 500],
  ];

  it.each(cases)('answers %j with status %i and parses back', (response, status) => {
    const answer = rebootAnswer(response);
    expect(answer).toEqual({ status, payload: response });
    expect(parseRebootResponse(JSON.parse(JSON.stringify(answer.payload)))).toEqual(response);
  });

  it('has a status for every outcome', () => {
    expect(Object.keys(REBOOT_RESULT_STATUS).sort()).toEqual(cases.map(([r]) => r.result).sort());
  });

  it('cuts long error texts so the answer stays within the contract', () => {
    const answer = rebootAnswer({ result: 'reboot-failed', error: 'e'.repeat(100_000) });
    expect(answer.payload.result).toBe('reboot-failed');
    if (answer.payload.result === 'reboot-failed') expect(answer.payload.error.length).toBe(4096);
  });

  it.each([
    [{ result: 'rebooted', message: 'no time' }, 'rebootTime'],
    [{ result: 'rebooted', rebootTime: 'yesterday', message: 'x' }, 'rebootTime'],
    [{ result: 'exploded' }, 'result'],
    [{ Response: 'This is the response from the device' }, 'result'],
    [{ result: 'busy', error: 'x', extra: 1 }, 'extra'],
  ])('rejects %j naming %s', (payload, field) => {
    const result = safeParseRebootResponse(payload);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error).toBeInstanceOf(ContractError);
      expect(result.error.message).toContain(field);
    }
  });

  it('never throws from safeParse on arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => void safeParseRebootResponse(value)));
  });

  it('rejects oversized payloads', () => {
    expect(() => parseRebootResponse({ result: 'busy', error: 'x'.repeat(200_000) })).toThrow(/limit/);
  });
});
