import { matches } from './evaluate';
import { parseQuery } from './parser';
import { deviceIdPrefilter } from './prefilter';

const whereOf = (sql: string) => parseQuery(sql).where;

/** Twin-like documents: the prefilter must never drop one that the whole condition accepts. */
const docs = ['a', 'b', "o'c", 'd'].map((deviceId, i) => ({
  deviceId,
  etag: `e${i}`,
  tags: { site: i % 2 === 0 ? 'north' : 'south' },
}));

describe('deviceIdPrefilter', () => {
  it.each([
    "SELECT * FROM devices WHERE deviceId IN ['a', 'b']",
    "SELECT * FROM devices WHERE deviceId IN ['a', \"o'c\"] AND (tags.site = 'north')",
    "SELECT * FROM devices WHERE tags.site = 'south' AND deviceId NIN ['b']",
    "SELECT * FROM devices WHERE deviceId = 'd' AND tags.site = 'south'",
    "SELECT * FROM devices WHERE 'a' = deviceId",
  ])('keeps every device the whole condition selects: %s', (sql) => {
    const where = whereOf(sql);
    const keep = deviceIdPrefilter(where);
    expect(keep).toBeDefined();
    for (const doc of docs) {
      if (where && matches(where, doc)) expect(keep?.(doc.deviceId)).toBe(true);
    }
  });

  it('skips devices outside the IN list', () => {
    const keep = deviceIdPrefilter(
      whereOf("SELECT * FROM devices WHERE deviceId IN ['a'] AND tags.site = 'x'"),
    );
    expect(['a', 'b', 'A'].map((id) => keep?.(id))).toEqual([true, false, false]);
  });

  it.each([
    'SELECT * FROM devices',
    "SELECT * FROM devices WHERE deviceId IN ['a'] OR tags.site = 'south'",
    "SELECT * FROM devices WHERE NOT (deviceId IN ['a'])",
    "SELECT * FROM devices WHERE properties.reported.deviceId IN ['a']",
    'SELECT * FROM devices WHERE deviceId = etag',
  ])('has no test when the condition does not pin the device id at its top: %s', (sql) => {
    expect(deviceIdPrefilter(whereOf(sql))).toBeUndefined();
  });
});
