import type { Agent } from 'node:https';
import type { PolicyName } from '../auth/policies';
import { derivePolicyKey, WELL_KNOWN_OWNER_KEY } from '../auth/policies';
import { createSasToken } from '../auth/sas';
import { type HttpAnswer, sendRequest } from '../http-request';
import type { LocalHub } from '../hub';

export type RawResponse = HttpAnswer;

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
  return sendRequest(
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
    options.body,
  );
}
