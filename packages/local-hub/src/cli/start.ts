import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type CliContext, CliError, createAppLogger, EXIT_USAGE } from '@iothub-reboot/app-kit';
import { redactSecrets } from '@iothub-reboot/contracts';
import { ConfigError, DEFAULTS, startLocalHub, WELL_KNOWN_OWNER_KEY } from '../index';
import { VolatileBackend } from '../persistence/backend';
import type { StartSettings } from './options';

/** Runs the hub in the foreground until SIGINT/SIGTERM, printing how to reach it once it is ready. */
export async function runStart(
  settings: StartSettings,
  context: CliContext,
  print: (text: string) => void,
): Promise<number> {
  const logger = createAppLogger({ name: 'local-hub', level: settings.logLevel });
  const { ownerKey, logLevel: _, inMemory, view, ...hubOptions } = settings;
  // In memory the state stays in memory, but the CA and connection.json still go to a directory (a temporary
  // one unless --data-dir names one), so clients in other processes can trust TLS and find the hub.
  const tempDir =
    inMemory && settings.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'local-hub-')) : undefined;
  const removeTempDir = () => (tempDir ? rm(tempDir, { recursive: true, force: true }) : Promise.resolve());
  const dataDir = resolve(tempDir ?? settings.dataDir ?? DEFAULTS.dataDir);
  const hub = await startLocalHub({
    ...hubOptions,
    dataDir,
    ...(inMemory ? { storage: new VolatileBackend() } : {}),
    // On by default for the CLI (the library's default is off): people would rather look than read.
    view: view === false ? false : view === undefined ? true : { port: view },
    ...(ownerKey === undefined ? {} : { policyKeys: { iothubowner: ownerKey } }),
    logger,
  }).catch(async (err: unknown) => {
    await removeTempDir();
    throw startFailure(err, dataDir);
  });
  context.onShutdown(async () => {
    logger.info('stopping: closing connections and flushing state');
    await hub.close();
    await removeTempDir();
    logger.info('stopped');
  });
  print(
    readyBanner(hub, {
      wellKnownKey: ownerKey === undefined || ownerKey === WELL_KNOWN_OWNER_KEY,
      dataDir,
      temporary: tempDir !== undefined,
      inMemory,
      ...(settings.quota === undefined ? {} : { quota: settings.quota }),
    }),
  );
  await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
  return 0;
}

interface ReadyHub {
  hostName: string;
  mqttPort: number;
  httpsPort: number;
  caFile: string | undefined;
  connectionFile: string | undefined;
  viewUrl?: string | undefined;
  serviceConnectionString(): string;
}

/** How the hub was started, as far as the banner's hints depend on it. */
export interface BannerFacts {
  /** The owner key is the public well-known one, so the string may be shown in full. */
  wellKnownKey: boolean;
  /** The absolute data directory (certificates and connection.json). */
  dataDir: string;
  /** The directory is a temporary one, removed on exit. */
  temporary: boolean;
  inMemory: boolean;
  /** The --quota tier, when throttling is on. */
  quota?: string;
}

/** The lines printed once the hub is ready. The owner connection string is shown in full only with the
 * public well-known key; a private key stays in connection.json. Every command it suggests works as shown:
 * off the default data directory the hints carry `--data-dir`. */
export function readyBanner(hub: ReadyHub, facts: BannerFacts): string {
  const cs = hub.serviceConnectionString();
  const shown = facts.wellKnownKey
    ? cs
    : `${redactSecrets(cs)}  (full string in ${hub.connectionFile ?? 'memory only'})`;
  const dataDirFlag =
    facts.dataDir === resolve(DEFAULTS.dataDir) ? '' : ` --data-dir ${quoteForShell(facts.dataDir)}`;
  return [
    'Local IoT Hub is ready.',
    `  host name                  ${hub.hostName}`,
    `  devices (MQTT over TLS)    127.0.0.1:${hub.mqttPort}`,
    `  service (HTTPS REST)       127.0.0.1:${hub.httpsPort}`,
    `  CA certificate             ${hub.caFile ?? '(in memory)'}`,
    `  connection file            ${hub.connectionFile ?? '(in memory)'}`,
    `  state                      ${facts.inMemory ? 'in memory, gone on exit' : join(facts.dataDir, 'state')}`,
    ...(facts.temporary ? [`  (${facts.dataDir} is temporary: removed on exit)`] : []),
    `  service connection string  ${shown}`,
    `  throttles                  ${facts.quota ? `IoT Hub ${facts.quota} rates (429 over them)` : 'off (--quota S1|S2|S3[:units])'}`,
    ...(hub.viewUrl
      ? [
          `  web view                   ${hub.viewUrl}`,
          '                             (the URL holds a per-start access token: do not share it)',
        ]
      : []),
    '',
    `Add a device:   ${commandName()} device add <device-id>${dataDirFlag}   (prints its connection string)`,
    "Trust the CA:   NODE_EXTRA_CA_CERTS=<CA certificate> or the apps' --ca flag",
    ...port443Recipe(hub),
    ...(hub.mqttPort === 8883
      ? []
      : [
          `Ports:          off IoT Hub's 8883, device strings name GatewayHostName=127.0.0.1:${hub.mqttPort}:`,
          '                the Node SDK dials that port; the Python SDK does not (run with --mqtt-port 8883)',
        ]),
    'Stop:           Ctrl-C',
    '',
  ].join('\n');
}

/** How to let node listen on 443 without running everything as root (see the README's "Port 443 mode"). */
export const ALLOW_PORT_443 =
  'sudo setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")"' +
  '  or  sudo sysctl net.ipv4.ip_unprivileged_port_start=443';

/**
 * On 443 the hub is where IoT Hub's SDKs look by default (`https://<HostName>:443`, MqttWs on
 * `wss://<HostName>:443`): say that unmodified code now works and what it must trust. Elsewhere, say how
 * to get there.
 */
function port443Recipe(hub: ReadyHub): string[] {
  const ca = hub.caFile ?? '<CA certificate>';
  if (hub.httpsPort !== 443) {
    return [
      'Unmodified SDK code (Registry/Client/JobClient.fromConnectionString): run with --https-port 443;',
      `                to allow port 443 without root: ${ALLOW_PORT_443}`,
    ];
  }
  return [
    'Port 443 mode:  Registry, Client and JobClient.fromConnectionString(<service connection string>) and',
    '                MqttWs devices work unmodified (HostName only, no GatewayHostName); trust the CA with',
    `                Node:   NODE_EXTRA_CA_CERTS=${ca}`,
    `                Python: SSL_CERT_FILE=${ca} REQUESTS_CA_BUNDLE=${ca}`,
  ];
}

/** How the user ran this CLI, so a hint can be pasted as is: a pnpm script, npx, or the bin on PATH. */
export function commandName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.npm_command !== 'exec') return 'local-hub';
  // `pnpm local-hub` (in this repo, or in a project that installed the package) is pnpm's exec of the bin;
  // npx sets the same npm_command with npm's user agent.
  return env.npm_config_user_agent?.startsWith('pnpm/') ? 'pnpm local-hub' : 'npx @iothub-reboot/local-hub';
}

function quoteForShell(text: string): string {
  return /^[\w./:@-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** Turns what can stop the hub from starting into a one-line message saying what to change. */
function startFailure(err: unknown, dataDir: string): unknown {
  if (err instanceof ConfigError) {
    return new CliError(err.message, { exitCode: EXIT_USAGE, code: 'usage', cause: err });
  }
  if ((err as Error).name === 'DataDirLockedError') {
    // The lock's own text names the holder; a lock left by a killed hub is taken over, so this is a live one.
    return new CliError(
      `${dataDir}: ${(err as Error).message} Or pass another --data-dir (or --in-memory).`,
      {
        exitCode: EXIT_USAGE,
        code: 'data-dir-in-use',
        cause: err,
      },
    );
  }
  const { code, port } = err as { code?: string; port?: number };
  if (code === 'EADDRINUSE') {
    return new CliError(
      `port ${port ?? ''} is already in use: stop what uses it or pass --mqtt-port/--https-port/--view`,
      {
        exitCode: EXIT_USAGE,
        code: 'port-in-use',
        cause: err,
      },
    );
  }
  if (code === 'EACCES') {
    const hint = port === 443 ? `; to allow 443: ${ALLOW_PORT_443}` : '';
    return new CliError(
      `not permitted to listen on port ${port ?? ''}: ports below 1024 need privileges${hint}`,
      {
        exitCode: EXIT_USAGE,
        code: 'port-denied',
        cause: err,
      },
    );
  }
  return err;
}
