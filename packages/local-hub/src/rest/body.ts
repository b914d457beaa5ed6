import type { IncomingMessage } from 'node:http';
import { HubError } from '../errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH, NonFiniteNumberError, parseFiniteJson } from '../json-depth';

/** Largest request body accepted: a 128 KB method payload plus its envelope fits comfortably. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Reads a JSON body (undefined when empty). Oversized → 413 MessageTooLarge; bad or too deep JSON → 400. */
export async function readJsonBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  if (exceedsJsonDepth(text)) {
    throw new HubError('ArgumentInvalid', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return parseFiniteJson(text);
  } catch (err) {
    if (err instanceof NonFiniteNumberError) {
      throw new HubError(
        'ArgumentInvalid',
        'The request body has a number out of range (not a finite double).',
      );
    }
    throw new HubError('ArgumentInvalid', 'The request body is not valid JSON.');
  }
}

function tooLarge(limit: number): HubError {
  return new HubError('MessageTooLarge', `The request body is larger than ${limit / 1024} KB.`);
}
