import type { IncomingMessage } from 'node:http';
import { HubError } from '../errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH, NonFiniteNumberError, parseFiniteJson } from '../json-depth';

/** Largest request body accepted: a 128 KB method payload plus its envelope fits comfortably. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Reads a JSON body (undefined when empty). Oversized → 413 MessageTooLarge; bad or too deep JSON → 400. */
export async function readJsonBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  // No body declared (a GET): nothing to read; Node discards the empty stream when the response ends.
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) return undefined;
  const text = (await readBody(req, limit)).toString('utf8');
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

// Events rather than `for await`: the async iterator costs an end-of-stream watcher and a promise per chunk.
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // As the iterator did when the loop threw: the stream is destroyed, nothing more is read.
        fail(tooLarge(limit));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onClose = () => {
      if (!req.complete) fail(new Error('The request was aborted before its body was read.'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', fail);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', fail);
    req.on('close', onClose);
  });
}

function tooLarge(limit: number): HubError {
  return new HubError('MessageTooLarge', `The request body is larger than ${limit / 1024} KB.`);
}
