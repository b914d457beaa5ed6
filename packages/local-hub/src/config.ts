import { isIP } from 'node:net';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { derivePolicyKey, POLICY_NAMES, type PolicyName, WELL_KNOWN_OWNER_KEY } from './auth/policies';
import type { ServerKeyType } from './certificates';
import type { StorageBackend } from './persistence/backend';
import { parseQuotaSpec, type QuotaSpec } from './quota/rates';
import type { Clock } from './quota/token-bucket';
import { systemTimers, type Timers } from './timers';

/** Options of {@link startLocalHub}; every one has a default. */
export interface LocalHubOptions {
  /** IoT Hub host name used in connection strings and SAS resources (need not resolve). Default `localhost`. */
  hostName?: string;
  /** Address both servers bind to. Default `127.0.0.1`. */
  bindAddress?: string;
  /** MQTT over TLS port; 0 picks a free one. Default 8883. */
  mqttPort?: number;
  /** HTTPS REST port; 0 picks a free one. Default 8443. */
  httpsPort?: number;
  /** Where state, certificates and connection.json live. Default `.local-hub` (relative to the cwd). */
  dataDir?: string;
  /** Keep everything in memory (nothing written to disk). Default false. */
  inMemory?: boolean;
  /**
   * Shared access policy keys (base64, 16–64 bytes). `iothubowner` defaults to the public well-known key;
   * the other policies default to keys derived from the owner key.
   */
  policyKeys?: Partial<Record<PolicyName, string>>;
  /**
   * Journal entries between two snapshots of the state. Default: no count limit — the journal is
   * compacted by size, once it outgrows the last snapshot (and 8 MiB), so a restart reads at most about
   * twice the state, and a write costs what it changes rather than a share of a snapshot.
   */
  compactAfter?: number;
  /**
   * How long a client may take to finish its TLS handshake, then to send its MQTT CONNECT or each HTTP
   * request (headers and body); slower connections are closed (HTTP gets 408). Default 30 000 ms.
   */
  slowClientTimeoutMs?: number;
  /**
   * How long {@link LocalHub.close} waits for work in flight (job steps, method calls, state writes)
   * before it cancels what is left and closes the servers and the store anyway. Default 10 000 ms.
   */
  closeTimeoutMs?: number;
  /**
   * Where the state lives instead of `<dataDir>/state` (or memory): a seam for fault injection such as a
   * slow or failing disk. Certificates and connection.json still follow `dataDir`.
   */
  storage?: StorageBackend;
  /**
   * Enforce IoT Hub's published per-unit throttles of a tier (`'S1'`, `'S2:3'` or `{ tier, units }`): direct
   * methods, twin reads and updates, queries, jobs operations, identity registry operations and
   * device-to-cloud sends are traffic-shaped: over the rate a request waits in a backlog of one window's
   * worth, beyond it 429 `ThrottleBacklogLimitExceeded` (429002; device twin requests `twin/res/429`,
   * D2C sends a disconnect); new device connections over the rate get CONNACK 3; a job's device
   * operations are paced at IoT Hub's jobs device-operations rate. Default: off.
   */
  quota?: string | QuotaSpec;
  /** The throttles' clock (ms): a seam for tests. Default `Date.now`. */
  quotaClock?: Clock;
  /** The timers that release the throttles' queued operations: a seam for tests (with `quotaClock`). */
  quotaTimers?: Timers;
  /**
   * Key type of the TLS server certificate: `ec` (ECDSA P-256, default: the cheapest full handshake for
   * the hub) or `rsa` (RSA 2048), for new certificates; a CA already on disk keeps its own key type.
   */
  serverKeyType?: ServerKeyType;
  /**
   * The web view (a page served by the hub: devices, twins, methods, jobs, queries, live activity): `true`
   * or `{ port }` (default 8088, 0 for a free one) to serve it on 127.0.0.1. Default off. See README "Web view".
   */
  view?: boolean | { port?: number };
  /** pino logger; default silent. Keys, tokens and signatures are never logged. */
  logger?: Logger;
}

/** Options with every default applied. */
export interface LocalHubConfig {
  hostName: string;
  bindAddress: string;
  /** Host clients dial (the bind address, or 127.0.0.1 when binding every interface). */
  gatewayHost: string;
  mqttPort: number;
  httpsPort: number;
  dataDir: string | undefined;
  policyKeys: Readonly<Record<PolicyName, string>>;
  compactAfter: number;
  slowClientTimeoutMs: number;
  closeTimeoutMs: number;
  storage: StorageBackend | undefined;
  quota: QuotaSpec | undefined;
  quotaClock: Clock;
  quotaTimers: Timers;
  serverKeyType: ServerKeyType;
  /** Where the web view listens (always loopback), or undefined when it is off. */
  view: { bindAddress: string; port: number } | undefined;
  logger: Logger;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULTS = {
  hostName: 'localhost',
  bindAddress: '127.0.0.1',
  mqttPort: 8883,
  httpsPort: 8443,
  dataDir: '.local-hub',
  compactAfter: Number.POSITIVE_INFINITY,
  slowClientTimeoutMs: 30_000,
  closeTimeoutMs: 10_000,
  serverKeyType: 'ec',
  viewPort: 8088,
} as const;

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Applies defaults and validates options. Throws ConfigError (never echoing a key). */
export function resolveConfig(options: LocalHubOptions = {}): LocalHubConfig {
  const hostName = options.hostName ?? DEFAULTS.hostName;
  if (!HOST_NAME.test(hostName) && isIP(hostName) === 0)
    throw new ConfigError(`Invalid host name "${hostName}"`);
  const bindAddress = options.bindAddress ?? DEFAULTS.bindAddress;
  if (isIP(bindAddress) === 0 && bindAddress !== 'localhost') {
    throw new ConfigError(`The bind address must be an IP address, got "${bindAddress}"`);
  }
  const ownerKey = checkKey('iothubowner', options.policyKeys?.iothubowner ?? WELL_KNOWN_OWNER_KEY);
  const policyKeys = Object.fromEntries(
    POLICY_NAMES.map((policy) => [
      policy,
      checkKey(policy, options.policyKeys?.[policy] ?? derivePolicyKey(ownerKey, policy)),
    ]),
  ) as Record<PolicyName, string>;
  return {
    hostName,
    bindAddress,
    gatewayHost: bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress,
    mqttPort: checkPort('mqttPort', options.mqttPort ?? DEFAULTS.mqttPort),
    httpsPort: checkPort('httpsPort', options.httpsPort ?? DEFAULTS.httpsPort),
    dataDir: options.inMemory ? undefined : resolve(options.dataDir ?? DEFAULTS.dataDir),
    policyKeys,
    compactAfter: options.compactAfter ?? DEFAULTS.compactAfter,
    slowClientTimeoutMs: checkTimeout(
      'slowClientTimeoutMs',
      options.slowClientTimeoutMs ?? DEFAULTS.slowClientTimeoutMs,
    ),
    closeTimeoutMs: checkTimeout('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs),
    storage: options.storage,
    quota: checkQuota(options.quota),
    quotaClock: options.quotaClock ?? Date.now,
    quotaTimers: options.quotaTimers ?? systemTimers,
    serverKeyType: checkServerKeyType(options.serverKeyType ?? DEFAULTS.serverKeyType),
    view: resolveView(options.view),
    logger: options.logger ?? pino({ level: 'silent' }),
  };
}

function checkQuota(quota: string | QuotaSpec | undefined): QuotaSpec | undefined {
  if (quota === undefined) return undefined;
  const parsed = parseQuotaSpec(typeof quota === 'string' ? quota : `${quota.tier}:${quota.units}`);
  if (typeof parsed === 'string') throw new ConfigError(parsed);
  return parsed;
}

function resolveView(view: LocalHubOptions['view']): LocalHubConfig['view'] {
  if (view === undefined || view === false) return undefined;
  if (view !== true && (typeof view !== 'object' || view === null)) {
    throw new ConfigError('view must be true, false or { port }');
  }
  const port = view === true ? DEFAULTS.viewPort : (view.port ?? DEFAULTS.viewPort);
  // An admin surface that can invoke methods and edit twins: loopback only, whatever the hub binds.
  return { bindAddress: '127.0.0.1', port: checkPort('view.port', port) };
}

function checkServerKeyType(keyType: unknown): ServerKeyType {
  if (keyType !== 'ec' && keyType !== 'rsa') throw new ConfigError('serverKeyType must be "ec" or "rsa"');
  return keyType;
}

function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`${name} must be an integer from 0 to 65535`);
  }
  return port;
}

function checkTimeout(name: string, ms: number): number {
  if (!Number.isInteger(ms) || ms < 100 || ms > 600_000) {
    throw new ConfigError(`${name} must be an integer from 100 to 600000`);
  }
  return ms;
}

function checkKey(policy: string, key: string): string {
  const bytes = Buffer.from(key, 'base64').length;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || bytes < 16 || bytes > 64) {
    throw new ConfigError(`The key of policy ${policy} must be base64 of 16 to 64 bytes`);
  }
  return key;
}
