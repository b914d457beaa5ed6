/** Thrown for a malformed service connection string. The message names keys, never their values. */
export class ConnectionStringError extends Error {
  override readonly name = 'ConnectionStringError';
}

/** Where the service clients actually connect: the hub itself (port 443) or a gateway such as the local hub. */
export interface ServiceEndpoint {
  host: string;
  port: number;
}

/** The parts of a service (shared access policy) connection string. */
export interface ServiceConnectionInfo {
  /** IoT Hub host name: the SAS resource (`sr`) and, without a gateway, the host connected to. */
  hostName: string;
  sharedAccessKeyName: string;
  sharedAccessKey: string;
  /** Host and port requests go to: `GatewayHostName` when present, else `hostName:443`. */
  endpoint: ServiceEndpoint;
}

const KNOWN_KEYS = new Set(['HostName', 'SharedAccessKeyName', 'SharedAccessKey', 'GatewayHostName']);
const HTTPS_PORT = 443;

/**
 * Parses a service connection string. Accepts IoT Hub's keys plus an optional `GatewayHostName=<host>[:port]`
 * (the same key the device SDK honours) which points the service clients at another endpoint (the local hub).
 * Throws ConnectionStringError (message never contains the key).
 */
export function parseServiceConnectionString(cs: string): ServiceConnectionInfo {
  if (typeof cs !== 'string' || cs.trim() === '') {
    throw new ConnectionStringError('The service connection string is empty');
  }
  const fields = new Map<string, string>();
  for (const part of cs.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new ConnectionStringError('The service connection string has a part without "key=value"');
    const key = part.slice(0, eq).trim();
    if (!KNOWN_KEYS.has(key)) {
      throw new ConnectionStringError(
        `The service connection string has an unknown key "${safeKeyName(key)}"`,
      );
    }
    if (fields.has(key)) throw new ConnectionStringError(`The service connection string repeats "${key}"`);
    // Keys are base64 and may end in "=": everything after the first "=" is the value.
    fields.set(key, part.slice(eq + 1).trim());
  }
  const hostName = required(fields, 'HostName');
  const sharedAccessKeyName = required(fields, 'SharedAccessKeyName');
  const sharedAccessKey = required(fields, 'SharedAccessKey');
  const gateway = fields.get('GatewayHostName');
  const endpoint = gateway === undefined ? { host: hostName, port: HTTPS_PORT } : parseHostPort(gateway);
  return { hostName, sharedAccessKeyName, sharedAccessKey, endpoint };
}

function required(fields: Map<string, string>, key: string): string {
  const value = fields.get(key);
  if (value === undefined || value === '') {
    throw new ConnectionStringError(`The service connection string has no ${key}`);
  }
  return value;
}

function parseHostPort(value: string): ServiceEndpoint {
  // "[::1]:8443", "127.0.0.1:8443", "localhost"
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  if (!match || host === undefined) {
    throw new ConnectionStringError('GatewayHostName must be <host> or <host>:<port>');
  }
  const port = match[3] === undefined ? HTTPS_PORT : Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConnectionStringError('The GatewayHostName port must be between 1 and 65535');
  }
  return { host, port };
}

/** An unknown key is echoed to help fix typos, but only if it looks like a key, not a pasted secret. */
function safeKeyName(key: string): string {
  return /^[A-Za-z]{1,40}$/.test(key) ? key : '<unprintable>';
}
