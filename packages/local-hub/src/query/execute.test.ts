import fc from 'fast-check';
import { toServiceTwinDocument } from '../twin/documents';
import { applyTwinPatch, createTwin } from '../twin/twin';
import type { JsonObject } from '../twin/types';
import { executeQuery } from './execute';
import { parseQuery } from './parser';

const NOW = new Date('2026-01-01T00:00:00.000Z');

function twinDocument(
  deviceId: string,
  tags: JsonObject,
  reported: JsonObject,
  connected = false,
): JsonObject {
  let twin = createTwin(deviceId, NOW);
  twin = applyTwinPatch(twin, 'tags', tags, NOW);
  twin = applyTwinPatch(twin, 'reported', reported, NOW);
  return toServiceTwinDocument(twin, {
    etag: 'device-etag',
    iotEdge: false,
    status: deviceId === 'd4' ? 'disabled' : 'enabled',
    statusUpdateTime: NOW.toISOString(),
    connectionState: connected ? 'Connected' : 'Disconnected',
    lastActivityTime: NOW.toISOString(),
    authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  });
}

const twins = [
  twinDocument('d1', { site: 'lab', floor: 1 }, { rebootTime: '2026-01-01T10:00:00Z', fw: '1.0' }, true),
  twinDocument('d2', { site: 'lab', floor: 2 }, { fw: '1.1' }),
  twinDocument('d3', { site: 'plant', floor: 2 }, { fw: '1.0', loc: { lat: 1, lon: 2 } }, true),
  twinDocument('d4', { site: 'plant', floor: '2' }, {}),
  twinDocument('lab-5', {}, { fw: '2.0', loc: { lon: 2, lat: 1 } }),
];

function ids(text: string): unknown[] {
  return executeQuery(parseQuery(text), twins).map((row) => row.deviceId);
}

describe('executeQuery', () => {
  it('returns whole twins for SELECT *, in iteration order, as copies', () => {
    const rows = executeQuery(parseQuery('SELECT * FROM devices'), twins);
    expect(rows).toEqual(twins);
    expect(rows[0]).not.toBe(twins[0]);
  });

  it('filters with = and != on strings, numbers and the registry fields', () => {
    expect(ids("SELECT * FROM devices WHERE tags.site = 'lab'")).toEqual(['d1', 'd2']);
    expect(ids('SELECT * FROM devices WHERE tags.floor = 2')).toEqual(['d2', 'd3']);
    expect(ids("SELECT * FROM devices WHERE connectionState = 'Connected'")).toEqual(['d1', 'd3']);
    expect(ids("SELECT * FROM devices WHERE status <> 'enabled'")).toEqual(['d4']);
    expect(ids("SELECT * FROM devices WHERE deviceId = 'd2'")).toEqual(['d2']);
  });

  it('compares only values of the same type; a missing property makes every comparison false', () => {
    expect(ids("SELECT * FROM devices WHERE tags.floor = '2'")).toEqual(['d4']);
    expect(ids('SELECT * FROM devices WHERE tags.floor != 2')).toEqual(['d1']);
    expect(ids("SELECT * FROM devices WHERE tags.site != 'lab'")).toEqual(['d3', 'd4']);
    expect(ids('SELECT * FROM devices WHERE tags.floor < 100')).toEqual(['d1', 'd2', 'd3']);
    expect(ids("SELECT * FROM devices WHERE tags.floor < 'z'")).toEqual(['d4']);
  });

  it('orders numbers numerically and strings by code unit', () => {
    expect(ids('SELECT * FROM devices WHERE tags.floor > 1')).toEqual(['d2', 'd3']);
    expect(ids('SELECT * FROM devices WHERE tags.floor >= 1')).toEqual(['d1', 'd2', 'd3']);
    expect(ids('SELECT * FROM devices WHERE tags.floor <= 1.5')).toEqual(['d1']);
    expect(ids("SELECT * FROM devices WHERE properties.reported.fw >= '1.1'")).toEqual(['d2', 'lab-5']);
    expect(
      ids("SELECT * FROM devices WHERE properties.reported.rebootTime > '2026-01-01T09:00:00Z'"),
    ).toEqual(['d1']);
  });

  it('compares objects deeply, whatever their key order', () => {
    expect(ids('SELECT * FROM devices WHERE properties.reported.loc = properties.reported.loc')).toEqual([
      'd3',
      'lab-5',
    ]);
    const byLoc = parseQuery(
      'SELECT properties.reported.loc AS loc, COUNT() AS n FROM devices GROUP BY properties.reported.loc',
    );
    expect(executeQuery(byLoc, twins)).toEqual([{ n: 3 }, { loc: { lat: 1, lon: 2 }, n: 2 }]);
  });

  it('matches null with = null and IS_NULL; a missing property is not null', () => {
    const everyone = ['d1', 'd2', 'd3', 'd4', 'lab-5'];
    expect(ids('SELECT * FROM devices WHERE x509Thumbprint.primaryThumbprint = null')).toEqual(everyone);
    expect(ids('SELECT * FROM devices WHERE IS_NULL(x509Thumbprint.primaryThumbprint)')).toEqual(everyone);
    expect(ids('SELECT * FROM devices WHERE IS_NULL(tags.owner) OR tags.owner = null')).toEqual([]);
    expect(ids('SELECT * FROM devices WHERE tags.site != null')).toEqual([]);
  });

  it('evaluates IS_DEFINED, STARTSWITH and ENDSWITH', () => {
    expect(ids('SELECT * FROM devices WHERE IS_DEFINED(properties.reported.rebootTime)')).toEqual(['d1']);
    expect(ids('SELECT * FROM devices WHERE NOT IS_DEFINED(properties.reported.fw)')).toEqual(['d4']);
    expect(ids("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'lab-')")).toEqual(['lab-5']);
    expect(ids("SELECT * FROM devices WHERE ENDSWITH(tags.site, 'ant')")).toEqual(['d3', 'd4']);
    expect(ids("SELECT * FROM devices WHERE STARTSWITH(tags.floor, '2')")).toEqual(['d4']);
  });

  it('evaluates IN and NIN as chains of = / !=', () => {
    expect(ids("SELECT * FROM devices WHERE properties.reported.fw IN ['1.0', '2.0']")).toEqual([
      'd1',
      'd3',
      'lab-5',
    ]);
    expect(ids("SELECT * FROM devices WHERE properties.reported.fw NIN ['1.0', '2.0']")).toEqual(['d2']);
    expect(ids("SELECT * FROM devices WHERE tags.floor IN [2, 'x']")).toEqual(['d2', 'd3']);
  });

  it('combines with AND, OR, NOT and parentheses', () => {
    expect(ids("SELECT * FROM devices WHERE tags.site = 'lab' AND tags.floor = 2")).toEqual(['d2']);
    expect(ids("SELECT * FROM devices WHERE tags.site = 'lab' OR tags.floor = 2")).toEqual([
      'd1',
      'd2',
      'd3',
    ]);
    expect(ids("SELECT * FROM devices WHERE NOT tags.site = 'lab'")).toEqual(['d3', 'd4', 'lab-5']);
    expect(ids("SELECT * FROM devices WHERE NOT tags.site = 'lab' AND tags.floor = 2")).toEqual(['d3']);
    expect(ids("SELECT * FROM devices WHERE NOT (tags.site = 'lab' AND tags.floor = 2)")).toEqual([
      'd1',
      'd3',
      'd4',
      'lab-5',
    ]);
  });

  it('applies TOP after filtering', () => {
    expect(ids("SELECT TOP 1 * FROM devices WHERE tags.site = 'plant'")).toEqual(['d3']);
    expect(ids('SELECT TOP 0 * FROM devices')).toEqual([]);
    expect(ids('SELECT TOP 99 * FROM devices')).toHaveLength(5);
  });

  it('projects paths by name, leaving out missing ones', () => {
    const rows = executeQuery(
      parseQuery(
        "SELECT deviceId, tags.site AS s, properties.reported.rebootTime FROM devices WHERE tags.floor = 1 OR deviceId = 'lab-5'",
      ),
      twins,
    );
    expect(rows).toEqual([
      { deviceId: 'd1', s: 'lab', rebootTime: '2026-01-01T10:00:00Z' },
      { deviceId: 'lab-5' },
    ]);
  });

  it('counts all matching twins without GROUP BY, also when none match', () => {
    expect(executeQuery(parseQuery('SELECT COUNT() AS total FROM devices'), twins)).toEqual([{ total: 5 }]);
    expect(executeQuery(parseQuery("SELECT COUNT() FROM devices WHERE tags.site = 'x'"), twins)).toEqual([
      { $1: 0 },
    ]);
  });

  it('groups with GROUP BY in first-seen order, a missing value forming its own group', () => {
    const rows = executeQuery(
      parseQuery('SELECT tags.site AS site, COUNT() AS n FROM devices GROUP BY tags.site'),
      twins,
    );
    expect(rows).toEqual([{ site: 'lab', n: 2 }, { site: 'plant', n: 2 }, { n: 1 }]);
  });

  it('groups by several paths, keeping 2 and "2" apart, and applies TOP to groups', () => {
    const text =
      'SELECT tags.site, tags.floor, COUNT() AS n FROM devices WHERE IS_DEFINED(tags.site) GROUP BY tags.site, tags.floor';
    expect(executeQuery(parseQuery(text), twins)).toEqual([
      { site: 'lab', floor: 1, n: 1 },
      { site: 'lab', floor: 2, n: 1 },
      { site: 'plant', floor: 2, n: 1 },
      { site: 'plant', floor: '2', n: 1 },
    ]);
    expect(executeQuery(parseQuery(text.replace('SELECT', 'SELECT TOP 2')), twins)).toHaveLength(2);
  });

  it('returns no groups when nothing matches a GROUP BY query', () => {
    const text = "SELECT status, COUNT() AS n FROM devices WHERE deviceId = 'none' GROUP BY status";
    expect(executeQuery(parseQuery(text), twins)).toEqual([]);
  });

  it('never throws on arbitrary documents', () => {
    const query = parseQuery(
      "SELECT a.b, c, COUNT() AS n FROM devices WHERE a.b > 1 OR c IN ['x', null] OR NOT STARTSWITH(c, 'y') OR a.b = a GROUP BY a.b, c",
    );
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.jsonValue())), (documents) => {
        const rows = executeQuery(query, documents as JsonObject[]);
        expect(rows.reduce((sum, row) => sum + (row.n as number), 0)).toBeLessThanOrEqual(documents.length);
      }),
    );
  });
});
