import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines and hands each to `emit` with `label` in front, so the output of
 * several processes can be interleaved and still read like the tutorial's separate consoles.
 * Returns the chunk handler and a `flush` for the unterminated last line.
 */
export function labelLines(label: string, emit: (line: string) => void) {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const push = (text: string) => {
    const lines = (partial + text).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) emit(`${label} ${line}`);
  };
  return {
    write: (chunk: Buffer | string) => push(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
    flush: () => {
      push(decoder.end());
      if (partial !== '') emit(`${label} ${partial}`);
      partial = '';
    },
  };
}
