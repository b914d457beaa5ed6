import type { StoredText } from './backend';

/**
 * The lines of `text`, read chunk by chunk so no string longer than one line is ever built. `complete` is
 * false only for text after the last newline (a write cut short).
 */
export async function* readLines(text: StoredText): AsyncGenerator<{ line: string; complete: boolean }> {
  let rest = '';
  for await (const chunk of typeof text === 'string' ? [text] : text) {
    let start = 0;
    let end = chunk.indexOf('\n');
    while (end !== -1) {
      yield { line: rest + chunk.slice(start, end), complete: true };
      rest = '';
      start = end + 1;
      end = chunk.indexOf('\n', start);
    }
    rest += chunk.slice(start);
  }
  if (rest !== '') yield { line: rest, complete: false };
}
