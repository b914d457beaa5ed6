import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

/** An answer read in full: status, headers, the body's text, and that text as JSON when it parses. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body; undefined when it is empty or not JSON. */
  json: unknown;
}

/**
 * One request, its body sent and its answer read in full: HTTPS unless `protocol` is `http:`. The one
 * request-and-read of the CLI's REST calls and the test kit's raw REST and web-view requests.
 */
export function sendRequest(options: RequestOptions, body?: string | Buffer): Promise<HttpAnswer> {
  const send = options.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
