import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TestServer {
  port: number;
  caPem: string;
  requests: RecordedRequest[];
  /** Sets what the next requests get: status, JSON body and extra headers. */
  reply(status: number, body: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** A private CA and a leaf for 127.0.0.1, as a local hub would have. */
export async function makeCertificates(): Promise<{ caPem: string; keyPem: string; certPem: string }> {
  const ca = await generate([{ name: 'commonName', value: 'test CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { caPem: ca.cert, keyPem: leaf.private, certPem: leaf.cert };
}

/** An HTTPS server on 127.0.0.1:0 that records every request and answers with a configurable reply. */
export async function startTestServer(): Promise<TestServer> {
  const { caPem, keyPem, certPem } = await makeCertificates();
  const requests: RecordedRequest[] = [];
  let next = { status: 200, body: {} as unknown, headers: {} as Record<string, string> };
  const server: Server = createServer({ key: keyPem, cert: certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(next.status, { 'content-type': 'application/json; charset=utf-8', ...next.headers });
      res.end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caPem,
    requests,
    reply(status, body, headers = {}) {
      next = { status, body, headers };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Signs like IoT Hub expects: base64 HMAC-SHA256 of "<sr>\n<se>" keyed by the base64-decoded key. */
export function expectedSignature(key: string, sr: string, se: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest('base64');
}
