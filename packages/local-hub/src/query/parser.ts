import type {
  ComparisonOperator,
  Condition,
  LiteralValue,
  Operand,
  ProjectionItem,
  PropertyPath,
  Query,
} from './ast';
import { QuerySyntaxError } from './errors';
import { type Token, tokenize } from './lexer';

type Projection = { star: true; position: number } | { star: false; items: ProjectionItem[] };

/** Longest accepted query, in UTF-8 bytes (IoT Hub's limit on query text). */
export const MAX_QUERY_BYTES = 8192;
/** Deepest nesting of parentheses and NOTs; bounds the parser's recursion so it cannot overflow the stack. */
export const MAX_CONDITION_NESTING = 64;

// Words that cannot start a property path, so `SELECT FROM` fails at FROM instead of selecting "FROM".
const RESERVED = new Set('select top from where group by as and or not in nin true false null'.split(' '));
const COMPARISONS = new Set(['=', '!=', '<>', '<', '>', '<=', '>=']);
const PATH_FUNCTIONS: Record<string, 'is-defined' | 'is-null'> = {
  IS_DEFINED: 'is-defined',
  IS_NULL: 'is-null',
};
const STRING_FUNCTIONS: Record<string, 'starts-with' | 'ends-with'> = {
  STARTSWITH: 'starts-with',
  STARTS_WITH: 'starts-with',
  ENDSWITH: 'ends-with',
  ENDS_WITH: 'ends-with',
};

/**
 * Parses the IoT Hub query language subset for device twins:
 * `SELECT [TOP n] * | item[, …] FROM devices [WHERE condition] [GROUP BY path[, …]]`.
 * @throws QuerySyntaxError naming the 0-based position and what was expected there.
 */
export function parseQuery(text: string): Query {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_QUERY_BYTES) {
    throw new QuerySyntaxError(
      'query too long',
      0,
      `: ${bytes} bytes, the limit is ${MAX_QUERY_BYTES} bytes`,
    );
  }
  return new Parser(tokenize(text)).query();
}

class Parser {
  private index = 0;
  private nesting = 0;
  /** Every property path parsed so far (the collection name aside). */
  private readonly paths: PropertyPath[] = [];

  constructor(private readonly tokens: Token[]) {}

  query(): Query {
    this.expectKeyword('SELECT');
    const top = this.acceptKeyword('TOP') ? this.topCount() : undefined;
    const projection = this.projection();
    this.expectKeyword('FROM');
    const collection = this.collection();
    const where = this.acceptKeyword('WHERE') ? this.condition() : undefined;
    const groupBy: PropertyPath[] = [];
    if (this.acceptKeyword('GROUP')) {
      this.expectKeyword('BY');
      do groupBy.push(this.path('a property path'));
      while (this.acceptSymbol(','));
    }
    if (this.peek().kind !== 'end')
      throw this.expected(`${whatMayFollow(where, groupBy)} or the end of the query`);
    const aggregate =
      groupBy.length > 0 || (!projection.star && projection.items.some((i) => i.kind === 'count'));
    if (aggregate) checkGrouping(projection, groupBy);
    if (collection !== 'devices') {
      // `devices.jobs.status` / `devices.modules.moduleId` name the row's own field, as on IoT Hub;
      // paths are rewritten in place.
      const inner = collection === 'devices.jobs' ? 'jobs' : 'modules';
      for (const path of this.paths) stripCollectionPrefix(path, inner);
    }
    return {
      ...(collection === 'devices' ? {} : { collection }),
      ...(top === undefined ? {} : { top }),
      ...(projection.star ? {} : { projection: projection.items }),
      ...(where ? { where } : {}),
      groupBy,
      aggregate,
    };
  }

  private topCount(): number {
    const token = this.peek();
    if (token.kind !== 'number' || !Number.isSafeInteger(token.value) || token.value < 0) {
      throw this.expected('a non-negative whole number after TOP');
    }
    this.index += 1;
    return token.value;
  }

  private projection(): Projection {
    const star = this.peek();
    if (this.acceptSymbol('*')) return { star: true, position: star.position };
    const items: ProjectionItem[] = [];
    const names = new Set<string>();
    let unnamed = 0;
    do {
      const start = this.peek();
      const item = this.projectionItem(() => {
        unnamed += 1;
        return `$${unnamed}`;
      });
      if (names.has(item.name)) {
        throw new QuerySyntaxError(
          `duplicate output name "${item.name}"`,
          start.position,
          ': rename one with AS',
        );
      }
      names.add(item.name);
      items.push(item);
    } while (this.acceptSymbol(','));
    return { star: false, items };
  }

  private projectionItem(nextUnnamed: () => string): ProjectionItem {
    const token = this.peek();
    if (token.kind === 'word' && token.text.toUpperCase() === 'COUNT' && this.peekSymbol(1, '(')) {
      this.index += 2;
      this.expectSymbol(')');
      return { kind: 'count', name: this.alias() ?? nextUnnamed() };
    }
    const path = this.path("'*', COUNT() or a property path");
    return { kind: 'path', path, name: this.alias() ?? path.segments[path.segments.length - 1]! };
  }

  private alias(): string | undefined {
    if (!this.acceptKeyword('AS')) return undefined;
    const token = this.peek();
    if (token.kind !== 'word' || RESERVED.has(token.text.toLowerCase()))
      throw this.expected('an alias name after AS');
    this.index += 1;
    return token.text;
  }

  private collection(): 'devices' | 'devices.jobs' | 'devices.modules' {
    const path = this.path('a collection name');
    this.paths.pop();
    const name = path.text.toLowerCase();
    if (name !== 'devices' && name !== 'devices.jobs' && name !== 'devices.modules') {
      throw new QuerySyntaxError(
        `unsupported collection "${path.text}"`,
        path.position,
        ': only "devices", "devices.modules" and "devices.jobs" can be queried',
      );
    }
    return name;
  }

  private condition(): Condition {
    let left = this.conjunction();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.negation() };
    return left;
  }

  private negation(): Condition {
    const start = this.peek().position;
    if (this.acceptKeyword('NOT')) return { kind: 'not', operand: this.nested(start, () => this.negation()) };
    return this.primary();
  }

  private primary(): Condition {
    const start = this.peek().position;
    if (this.acceptSymbol('(')) {
      const inner = this.nested(start, () => this.condition());
      this.expectSymbol(')');
      return inner;
    }
    const token = this.peek();
    if (token.kind === 'word' && this.peekSymbol(1, '('))
      return this.functionCall(token.text, token.position);
    const left = this.operand('a condition');
    const operator = this.peek();
    if (operator.kind === 'symbol' && COMPARISONS.has(operator.text)) {
      this.index += 1;
      const normalized = (operator.text === '<>' ? '!=' : operator.text) as ComparisonOperator;
      return {
        kind: 'compare',
        operator: normalized,
        left,
        right: this.operand('a property path or a literal'),
      };
    }
    if (this.acceptKeyword('IN'))
      return { kind: 'in', negated: false, operand: left, values: this.literalList() };
    if (this.acceptKeyword('NIN'))
      return { kind: 'in', negated: true, operand: left, values: this.literalList() };
    throw this.expected('a comparison operator, IN or NIN');
  }

  private nested(position: number, parse: () => Condition): Condition {
    if (this.nesting >= MAX_CONDITION_NESTING) {
      throw new QuerySyntaxError(
        'condition nested too deeply',
        position,
        `: at most ${MAX_CONDITION_NESTING} levels`,
      );
    }
    this.nesting += 1;
    const condition = parse();
    this.nesting -= 1;
    return condition;
  }

  private functionCall(name: string, position: number): Condition {
    const upper = name.toUpperCase();
    const pathFunction = Object.hasOwn(PATH_FUNCTIONS, upper) ? PATH_FUNCTIONS[upper] : undefined;
    const stringFunction = Object.hasOwn(STRING_FUNCTIONS, upper) ? STRING_FUNCTIONS[upper] : undefined;
    if (!pathFunction && !stringFunction) {
      throw new QuerySyntaxError(
        `unknown function "${name}"`,
        position,
        ': supported are IS_DEFINED, IS_NULL, STARTSWITH and ENDSWITH',
      );
    }
    this.index += 2;
    const path = this.path('a property path');
    let condition: Condition;
    if (stringFunction) {
      this.expectSymbol(',');
      const text = this.peek();
      if (text.kind !== 'string') throw this.expected('a string literal');
      this.index += 1;
      condition = { kind: stringFunction, path, text: text.value };
    } else {
      condition = { kind: pathFunction!, path };
    }
    this.expectSymbol(')');
    return condition;
  }

  private operand(what: string): Operand {
    const token = this.peek();
    if (token.kind === 'word' && !RESERVED.has(token.text.toLowerCase())) {
      return { kind: 'path', path: this.path(what) };
    }
    return { kind: 'literal', value: this.literal(what) };
  }

  private literalList(): LiteralValue[] {
    this.expectSymbol('[');
    const values: LiteralValue[] = [];
    do values.push(this.literal('a literal'));
    while (this.acceptSymbol(','));
    this.expectSymbol(']');
    return values;
  }

  private literal(what: string): LiteralValue {
    const token = this.peek();
    if (token.kind === 'string' || token.kind === 'number') {
      this.index += 1;
      return token.value;
    }
    if (token.kind === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true' || word === 'false' || word === 'null') {
        this.index += 1;
        return word === 'null' ? null : word === 'true';
      }
    }
    throw this.expected(what);
  }

  private path(what: string): PropertyPath {
    const first = this.peek();
    if (first.kind !== 'word' || RESERVED.has(first.text.toLowerCase())) throw this.expected(what);
    this.index += 1;
    const segments = [first.text];
    while (this.acceptSymbol('.')) {
      const next = this.peek();
      // After a dot any word is a property name, keywords included (`tags.from`).
      if (next.kind !== 'word') throw this.expected('a property name after "."');
      this.index += 1;
      segments.push(next.text);
    }
    const path = { segments, text: segments.join('.'), position: first.position };
    this.paths.push(path);
    return path;
  }

  private peek(offset = 0): Token {
    // The token list always ends with `end`, and the parser never moves past it.
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private peekSymbol(offset: number, symbol: string): boolean {
    const token = this.peek(offset);
    return token.kind === 'symbol' && token.text === symbol;
  }

  private acceptSymbol(symbol: string): boolean {
    if (!this.peekSymbol(0, symbol)) return false;
    this.index += 1;
    return true;
  }

  private expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) throw this.expected(`"${symbol}"`);
  }

  private acceptKeyword(keyword: string): boolean {
    const token = this.peek();
    if (token.kind !== 'word' || token.text.toUpperCase() !== keyword) return false;
    this.index += 1;
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) throw this.expected(keyword);
  }

  private expected(what: string): QuerySyntaxError {
    const token = this.peek();
    return new QuerySyntaxError(`expected ${what}`, token.position, `, found ${describe(token)}`);
  }
}

/** `devices.<inner>.x…` → `x…` (the collection prefix is case-insensitive; a bare `x` works too). */
function stripCollectionPrefix(path: PropertyPath, inner: 'jobs' | 'modules'): void {
  const [first, second, ...rest] = path.segments;
  if (first?.toLowerCase() !== 'devices' || second?.toLowerCase() !== inner || rest.length === 0) return;
  path.segments = rest;
  path.text = rest.join('.');
}

/** What the grammar would have accepted where trailing text starts, for the error message. */
function whatMayFollow(where: Condition | undefined, groupBy: PropertyPath[]): string {
  if (groupBy.length > 0) return '","';
  return where ? 'AND, OR, GROUP BY' : 'WHERE, GROUP BY';
}

/** SQL's grouping rule: with GROUP BY or COUNT(), every projected path must be a GROUP BY path. */
function checkGrouping(projection: Projection, groupBy: PropertyPath[]): void {
  if (projection.star) {
    throw new QuerySyntaxError(
      'SELECT * cannot be grouped',
      projection.position,
      ': list GROUP BY paths and COUNT()',
    );
  }
  for (const item of projection.items) {
    if (item.kind === 'path' && !groupBy.some((group) => group.text === item.path.text)) {
      throw new QuerySyntaxError(
        `"${item.path.text}" must appear in GROUP BY`,
        item.path.position,
        ' to be selected with GROUP BY or COUNT()',
      );
    }
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the query';
    case 'string':
      return `string ${JSON.stringify(shorten(token.value))}`;
    case 'number':
      return `number ${token.text}`;
    default:
      return `"${shorten(token.text)}"`;
  }
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
