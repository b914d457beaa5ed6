import { QuerySyntaxError } from './errors';

export type Token =
  | { kind: 'word'; text: string; position: number }
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; text: string; position: number }
  | { kind: 'symbol'; text: string; position: number }
  | { kind: 'end'; position: number };

const SYMBOLS = ['<=', '>=', '<>', '!=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '*'];
const ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  '/': '/',
  n: '\n',
  r: '\r',
  t: '\t',
};
const WORD_START = /[A-Za-z_$]/;
const WORD_PART = /[A-Za-z0-9_$]/;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Splits query text into tokens; the last one is always `end`. Whitespace only separates. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (/\s/.test(char)) {
      index += 1;
    } else if (WORD_START.test(char)) {
      const start = index;
      while (index < text.length && WORD_PART.test(text.charAt(index))) index += 1;
      tokens.push({ kind: 'word', text: text.slice(start, index), position: start });
    } else if (char === "'" || char === '"') {
      const token = readString(text, index);
      tokens.push(token.token);
      index = token.next;
    } else if (/\d/.test(char) || (char === '-' && /\d/.test(text.charAt(index + 1)))) {
      NUMBER.lastIndex = index;
      const match = NUMBER.exec(text);
      const literal = match?.[0] ?? char;
      tokens.push({ kind: 'number', value: Number(literal), text: literal, position: index });
      index += literal.length;
    } else {
      const symbol = SYMBOLS.find((candidate) => text.startsWith(candidate, index));
      if (symbol === undefined)
        throw new QuerySyntaxError(`unexpected character ${JSON.stringify(char)}`, index);
      tokens.push({ kind: 'symbol', text: symbol, position: index });
      index += symbol.length;
    }
  }
  tokens.push({ kind: 'end', position: text.length });
  return tokens;
}

/** A string literal in single or double quotes; a backslash escapes the quote, itself, `/`, `n`, `r`, `t`. */
function readString(text: string, start: number): { token: Token; next: number } {
  const quote = text.charAt(start);
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text.charAt(index);
    if (char === quote) return { token: { kind: 'string', value, position: start }, next: index + 1 };
    if (char === '\\') {
      const escaped = ESCAPES[text.charAt(index + 1)];
      if (escaped === undefined) throw new QuerySyntaxError('unsupported escape sequence in string', index);
      value += escaped;
      index += 2;
    } else {
      value += char;
      index += 1;
    }
  }
  throw new QuerySyntaxError('unterminated string literal', start, ': add the closing quote');
}
