import { PollOptionsError } from './errors';
import { rebootWrittenAfter } from './hub-clock';

const requestedAt = new Date('2026-01-01T12:00:00.000Z');
const twin = (rebootTime: string, lastUpdated?: string) => ({
  deviceId: 'd',
  properties: {
    reported: {
      rebootTime,
      $metadata: lastUpdated ? { $lastUpdated: lastUpdated, rebootTime: { $lastUpdated: lastUpdated } } : {},
    },
  },
});

describe('rebootWrittenAfter', () => {
  const check = rebootWrittenAfter({ requestedAt, clockSkewMs: 1000 });

  it('counts a fresh report from a device clock minutes behind', () => {
    const result = check(twin('2026-01-01T11:55:00.100Z', '2026-01-01T12:00:00.100Z'));
    expect(result).toMatchObject({ done: true, value: { writtenAt: new Date('2026-01-01T12:00:00.100Z') } });
  });

  it('refuses an old report from a device clock minutes ahead, and says why', () => {
    const result = check(twin('2026-01-01T12:03:00.000Z', '2026-01-01T11:58:00.000Z'));
    expect(result).toEqual({
      done: false,
      reason:
        'rebootTime was last written at 2026-01-01T11:58:00.000Z (hub clock), not after 2026-01-01T11:59:59.000Z',
    });
  });

  it('follows the nested iothubDM property and explains missing data', () => {
    const nested = {
      properties: {
        reported: {
          iothubDM: { reboot: { lastReboot: '2026-01-01T12:00:01.000Z' } },
          $metadata: { iothubDM: { reboot: { lastReboot: { $lastUpdated: '2026-01-01T12:00:01.000Z' } } } },
        },
      },
    };
    expect(check(nested)).toMatchObject({ done: true });
    expect(check(twin('2026-01-01T12:00:01.000Z'))).toEqual({
      done: false,
      reason: 'the twin has no $metadata.$lastUpdated for rebootTime',
    });
    expect(check({ properties: { reported: {} } })).toMatchObject({ done: false });
  });

  it('refuses bad criteria', () => {
    expect(() => rebootWrittenAfter({ requestedAt: new Date(Number.NaN) })).toThrow(PollOptionsError);
    expect(() => rebootWrittenAfter({ requestedAt, clockSkewMs: -1 })).toThrow(PollOptionsError);
  });
});
