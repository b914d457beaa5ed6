import fc from 'fast-check';
import { QuerySyntaxError } from './errors';
import { parseQuery } from './parser';

function syntaxError(text: string): QuerySyntaxError {
  try {
    parseQuery(text);
  } catch (err) {
    if (err instanceof QuerySyntaxError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const path = (text: string) => expect.objectContaining({ segments: text.split('.'), text });

describe('parseQuery', () => {
  it('parses SELECT * FROM devices', () => {
    expect(parseQuery('SELECT * FROM devices')).toEqual({ groupBy: [], aggregate: false });
  });

  it('treats keywords, function names and the collection case-insensitively', () => {
    expect(parseQuery('select top 3 * from DEVICES where is_defined(tags.a) And not tags.b = 1')).toEqual(
      parseQuery('SELECT TOP 3 * FROM devices WHERE IS_DEFINED(tags.a) AND NOT tags.b = 1'),
    );
  });

  it('keeps property names case-sensitive and accepts keywords and $ after a dot', () => {
    const query = parseQuery(
      'SELECT * FROM devices WHERE tags.From = properties.reported.$metadata.$lastUpdated',
    );
    expect(query.where).toEqual({
      kind: 'compare',
      operator: '=',
      left: { kind: 'path', path: path('tags.From') },
      right: { kind: 'path', path: path('properties.reported.$metadata.$lastUpdated') },
    });
  });

  it('parses TOP', () => {
    expect(parseQuery('SELECT TOP 0 * FROM devices').top).toBe(0);
    expect(parseQuery('SELECT TOP 25 deviceId FROM devices').top).toBe(25);
  });

  it('names projections by alias, else by the last path segment, else $1, $2 for COUNT()', () => {
    const query = parseQuery(
      'SELECT tags.site AS where_, status, COUNT(), COUNT() AS n, count() FROM devices GROUP BY tags.site, status',
    );
    expect(query.projection).toEqual([
      { kind: 'path', path: path('tags.site'), name: 'where_' },
      { kind: 'path', path: path('status'), name: 'status' },
      { kind: 'count', name: '$1' },
      { kind: 'count', name: 'n' },
      { kind: 'count', name: '$2' },
    ]);
    expect(query.groupBy).toEqual([path('tags.site'), path('status')]);
    expect(query.aggregate).toBe(true);
  });

  it('treats COUNT() without GROUP BY as an aggregate', () => {
    expect(parseQuery('SELECT COUNT() AS total FROM devices').aggregate).toBe(true);
    expect(parseQuery('SELECT deviceId FROM devices').aggregate).toBe(false);
  });

  it('parses string literals in either quote with escapes, and numbers of every form', () => {
    const literals = (where: string) => {
      const condition = parseQuery(`SELECT * FROM devices WHERE ${where}`).where;
      return condition?.kind === 'in' ? condition.values : undefined;
    };
    expect(literals(`a IN ['x', "y", 'it\\'s', "say \\"hi\\"", 'tab\\t', "it's", 'say "hi"']`)).toEqual([
      'x',
      'y',
      "it's",
      'say "hi"',
      'tab\t',
      "it's",
      'say "hi"',
    ]);
    expect(literals('a IN [0, 42, -7, 3.25, -0.5, 1e3, 2.5E-1, true, FALSE, null]')).toEqual([
      0,
      42,
      -7,
      3.25,
      -0.5,
      1000,
      0.25,
      true,
      false,
      null,
    ]);
  });

  it('parses every comparison operator and maps <> to !=', () => {
    for (const operator of ['=', '!=', '<>', '<', '>', '<=', '>=']) {
      const where = parseQuery(`SELECT * FROM devices WHERE version ${operator} 2`).where;
      expect(where).toMatchObject({ kind: 'compare', operator: operator === '<>' ? '!=' : operator });
    }
  });

  it('accepts a literal on the left and comparisons without spaces', () => {
    expect(parseQuery("SELECT * FROM devices WHERE 'lab'=tags.site").where).toEqual({
      kind: 'compare',
      operator: '=',
      left: { kind: 'literal', value: 'lab' },
      right: { kind: 'path', path: path('tags.site') },
    });
    expect(parseQuery('SELECT * FROM devices WHERE version>=-1').where).toMatchObject({
      right: { kind: 'literal', value: -1 },
    });
  });

  it('parses IN, NIN and the functions', () => {
    const where = (text: string) => parseQuery(`SELECT * FROM devices WHERE ${text}`).where;
    expect(where("status NIN ['disabled']")).toMatchObject({
      kind: 'in',
      negated: true,
      values: ['disabled'],
    });
    expect(where('IS_DEFINED(tags.a)')).toEqual({ kind: 'is-defined', path: path('tags.a') });
    expect(where('IS_NULL(tags.a)')).toEqual({ kind: 'is-null', path: path('tags.a') });
    expect(where("STARTSWITH(deviceId, 'lab-')")).toEqual({
      kind: 'starts-with',
      path: path('deviceId'),
      text: 'lab-',
    });
    expect(where("starts_with(deviceId, 'lab-')")).toMatchObject({ kind: 'starts-with', text: 'lab-' });
    expect(where("ENDS_WITH(deviceId, '-1')")).toEqual({
      kind: 'ends-with',
      path: path('deviceId'),
      text: '-1',
    });
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    const a = {
      kind: 'compare',
      operator: '=',
      left: { kind: 'path', path: path('a') },
      right: { kind: 'literal', value: 1 },
    };
    const b = { ...a, left: { kind: 'path', path: path('b') } };
    const c = { ...a, left: { kind: 'path', path: path('c') } };
    expect(parseQuery('SELECT * FROM devices WHERE NOT a = 1 AND b = 1 OR c = 1').where).toEqual({
      kind: 'or',
      left: { kind: 'and', left: { kind: 'not', operand: a }, right: b },
      right: c,
    });
    expect(parseQuery('SELECT * FROM devices WHERE a = 1 OR b = 1 AND NOT c = 1').where).toEqual({
      kind: 'or',
      left: a,
      right: { kind: 'and', left: b, right: { kind: 'not', operand: c } },
    });
    expect(parseQuery('SELECT * FROM devices WHERE NOT (a = 1 OR b = 1) AND c = 1').where).toEqual({
      kind: 'and',
      left: { kind: 'not', operand: { kind: 'or', left: a, right: b } },
      right: c,
    });
  });

  it('chains AND and OR to the left', () => {
    const where = parseQuery('SELECT * FROM devices WHERE a = 1 AND b = 1 AND c = 1').where;
    expect(where).toMatchObject({ kind: 'and', left: { kind: 'and' }, right: { left: { path: path('c') } } });
  });
});

describe('parseQuery errors', () => {
  it.each([
    ['SELECT * devices', 'expected FROM at position 9, found "devices"', 9],
    ['SELEC * FROM devices', 'expected SELECT at position 0, found "SELEC"', 0],
    ['', 'expected SELECT at position 0, found the end of the query', 0],
    ['SELECT FROM devices', 'expected \'*\', COUNT() or a property path at position 7, found "FROM"', 7],
    ['SELECT * FROM', 'expected a collection name at position 13, found the end of the query', 13],
    ['SELECT * FROM devices WHERE', 'expected a condition at position 27, found the end of the query', 27],
    ['SELECT * FROM devices WHERE a =', 'expected a property path or a literal at position 31', 31],
    ['SELECT * FROM devices WHERE a', 'expected a comparison operator, IN or NIN at position 29', 29],
    ['SELECT * FROM devices WHERE (a = 1', 'expected ")" at position 34, found the end of the query', 34],
    ['SELECT * FROM devices WHERE a IN []', 'expected a literal at position 34, found "]"', 34],
    ['SELECT * FROM devices WHERE a IN [b]', 'expected a literal at position 34, found "b"', 34],
    [
      'SELECT * FROM devices WHERE a = 1 b = 2',
      'expected AND, OR, GROUP BY or the end of the query at position 34',
      34,
    ],
    [
      'SELECT * FROM devices ORDER BY a',
      'expected WHERE, GROUP BY or the end of the query at position 22',
      22,
    ],
    [
      'SELECT * FROM devices WHERE a. = 1',
      'expected a property name after "." at position 31, found "="',
      31,
    ],
    ['SELECT TOP -1 * FROM devices', 'expected a non-negative whole number after TOP at position 11', 11],
    ['SELECT TOP 1.5 * FROM devices', 'expected a non-negative whole number after TOP at position 11', 11],
    ['SELECT a AS FROM devices', 'expected an alias name after AS at position 12', 12],
    ['SELECT COUNT( FROM devices', 'expected ")" at position 14', 14],
    ['SELECT a FROM devices GROUP a', 'expected BY at position 28, found "a"', 28],
    ['SELECT a FROM devices GROUP BY a b', 'expected "," or the end of the query at position 33', 33],
    [
      'SELECT * FROM devices WHERE STARTSWITH(a, 1)',
      'expected a string literal at position 42, found number 1',
      42,
    ],
    ['SELECT * FROM devices WHERE STARTSWITH(a)', 'expected "," at position 40', 40],
    [
      'SELECT * FROM devices WHERE IS_DEFINED(1)',
      'expected a property path at position 39, found number 1',
      39,
    ],
    ['SELECT * FROM devices WHERE LOWER(a) = 1', 'unknown function "LOWER" at position 28', 28],
    ['SELECT * FROM devices WHERE a = #', 'unexpected character "#" at position 32', 32],
    ['SELECT * FROM devices WHERE a ! b', 'unexpected character "!" at position 30', 30],
    [
      "SELECT * FROM devices WHERE a = 'open",
      'unterminated string literal at position 32: add the closing quote',
      32,
    ],
    ["SELECT * FROM devices WHERE a = 'bad\\q'", 'unsupported escape sequence in string at position 36', 36],
    ['SELECT * FROM devices.things', 'unsupported collection "devices.things" at position 14', 14],
    [
      'SELECT * FROM devices.jobs.x',
      'only "devices", "devices.modules" and "devices.jobs" can be queried',
      14,
    ],
    ['SELECT * FROM things', 'unsupported collection "things" at position 14', 14],
    ['SELECT tags.a, properties.desired.a FROM devices', 'duplicate output name "a" at position 15', 15],
    ['SELECT COUNT() AS n, n FROM devices', 'duplicate output name "n" at position 21', 21],
    ['SELECT * FROM devices GROUP BY status', 'SELECT * cannot be grouped at position 7', 7],
    ['SELECT deviceId, COUNT() FROM devices', '"deviceId" must appear in GROUP BY at position 7', 7],
    ['SELECT tags.a FROM devices GROUP BY tags.b', '"tags.a" must appear in GROUP BY at position 7', 7],
  ])('%s', (text, message, position) => {
    const err = syntaxError(text);
    expect(err.message).toContain(message);
    expect(err.position).toBe(position);
  });

  it('queries devices.jobs, where `devices.jobs.x` and `x` name the same row property', () => {
    const query = parseQuery(
      "SELECT devices.jobs.deviceId, status FROM DEVICES.JOBS WHERE devices.jobs.jobId = 'j' AND Devices.Jobs.outcome.x = 1",
    );
    expect(query.collection).toBe('devices.jobs');
    expect(query.projection).toEqual([
      { kind: 'path', path: path('deviceId'), name: 'deviceId' },
      { kind: 'path', path: path('status'), name: 'status' },
    ]);
    expect(query.where).toMatchObject({
      left: { left: { path: { text: 'jobId', segments: ['jobId'] } } },
      right: { left: { path: { text: 'outcome.x', segments: ['outcome', 'x'] } } },
    });
    expect(parseQuery("SELECT * FROM devices WHERE devices.jobs.jobId = 'j'").where).toMatchObject({
      left: { path: { segments: ['devices', 'jobs', 'jobId'] } },
    });
  });

  it('queries devices.modules, where `devices.modules.x` and `x` name the same twin property', () => {
    const query = parseQuery(
      "SELECT * FROM devices.modules WHERE devices.modules.moduleId = 'm' AND properties.reported.a = 1",
    );
    expect(query.collection).toBe('devices.modules');
    expect(query.where).toMatchObject({
      left: { left: { path: { text: 'moduleId', segments: ['moduleId'] } } },
      right: { left: { path: { segments: ['properties', 'reported', 'a'] } } },
    });
  });

  it('limits nesting of parentheses and NOT instead of overflowing the stack', () => {
    const where = 'SELECT * FROM devices WHERE ';
    expect(() => parseQuery(`${where}${'('.repeat(64)}a = 1${')'.repeat(64)}`)).not.toThrow();
    expect(() => parseQuery(`${where}${'NOT '.repeat(64)}a = 1`)).not.toThrow();
    const parens = syntaxError(`${where}${'('.repeat(3000)}a = 1${')'.repeat(3000)}`);
    expect(parens.message).toBe('condition nested too deeply at position 92: at most 64 levels');
    expect(syntaxError(`${where}${'NOT '.repeat(1500)}a = 1`).position).toBe(where.length + 64 * 4);
  });

  it('shortens long tokens in messages', () => {
    const err = syntaxError(`SELECT * ${'x'.repeat(100)}`);
    expect(err.message).toBe(`expected FROM at position 9, found "${'x'.repeat(40)}…"`);
  });

  it('rejects query text over 8 KB, counted in UTF-8 bytes', () => {
    const base = 'SELECT * FROM devices WHERE tags.a = ';
    const fits = `${base}'${'x'.repeat(8192 - base.length - 2)}'`;
    expect(() => parseQuery(fits)).not.toThrow();
    expect(syntaxError(`${base}'${'é'.repeat(4100)}'`).message).toBe(
      'query too long at position 0: 8239 bytes, the limit is 8192 bytes',
    );
  });

  it('throws only QuerySyntaxError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        try {
          parseQuery(text);
        } catch (err) {
          expect(err).toBeInstanceOf(QuerySyntaxError);
        }
      }),
    );
  });

  it('throws only QuerySyntaxError, with a position inside the text, on shuffled query fragments', () => {
    const fragment = fc.constantFrom(
      ...'SELECT TOP * , COUNT ( ) AS FROM devices WHERE GROUP BY AND OR NOT IN NIN [ ] = != <> < <= > >= . a b.c'.split(
        ' ',
      ),
      ...["'s'", '"t"', '1', '-2.5', 'true', 'null', 'IS_DEFINED', 'STARTSWITH', "'", '$x'],
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 25 }), fc.constantFrom(' ', ''), (parts, separator) => {
        const text = parts.join(separator);
        try {
          parseQuery(text);
        } catch (err) {
          expect(err).toBeInstanceOf(QuerySyntaxError);
          expect((err as QuerySyntaxError).position).toBeGreaterThanOrEqual(0);
          expect((err as QuerySyntaxError).position).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
