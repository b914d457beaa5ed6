import { type Agent, request } from 'node:https';
import type { PolicyName } from '../auth/policies';
import { derivePolicyKey, WELL_KNOWN_OWNER_KEY } from '../auth/policies';
import { createSasToken } from '../auth/sas';
import type { LocalHub } from '../hub';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** A service SAS for the hub's well-known keys. */
export function serviceToken(hub: LocalHub, policy: PolicyName = 'iothubowner', seconds = 3600): string {
  return createSasToken(
    hub.hostName,
    derivePolicyKey(WELL_KNOWN_OWNER_KEY, policy),
    Math.floor(Date.now() / 1000) + seconds,
    policy,
  );
}

/** One HTTPS request to the hub's REST port, for what azure-iothub cannot send. */
export function rawRequest(
  hub: LocalHub,
  method: string,
  path: string,
  options: {
    body?: string | Buffer;
    headers?: Record<string, string>;
    auth?: string | null;
    /** A keep-alive agent for request bursts (default: a new connection per request). */
    agent?: Agent;
  } = {},
): Promise<RawResponse> {
  const auth = options.auth === undefined ? serviceToken(hub) : options.auth;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: hub.httpsPort,
        method,
        path,
        ca: hub.caPem,
        agent: options.agent ?? false,
        headers: {
          ...(auth ? { authorization: auth } : {}),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
