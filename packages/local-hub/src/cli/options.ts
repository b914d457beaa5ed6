import { parseArgs } from 'node:util';
import { numberFlag, usageError, withUsageErrors } from '@iothub-reboot/app-kit';
import { parseQuotaSpec } from '@iothub-reboot/local-hub';

/** What `local-hub start` runs with. Field names follow `startLocalHub`'s options. */
export interface StartSettings {
  hostName?: string;
  bindAddress?: string;
  mqttPort?: number;
  httpsPort?: number;
  dataDir?: string;
  inMemory: boolean;
  ownerKey?: string;
  /** IoT Hub throttles to enforce, `S1`…`S3[:units]`; unset: none. */
  quota?: string;
  /** The web view's port (0: a free one), or false for none; absent: the library's default port. */
  view?: number | false;
  logLevel: string;
}

/** A parsed command line. */
export type LocalHubCommand =
  | { kind: 'start'; settings: StartSettings }
  | { kind: 'device'; action: 'add' | 'remove' | 'show'; deviceId: string; dataDir?: string }
  | { kind: 'device'; action: 'list'; dataDir?: string }
  | { kind: 'help' }
  | { kind: 'version' };

export const USAGE = `Usage:
  local-hub [start] [options]          run the hub in the foreground (Ctrl-C stops it)
  local-hub device add <id>            register a device and print its connection string
  local-hub device list                list registered devices
  local-hub device show <id>           print a device's connection string
  local-hub device remove <id>         delete a device
  local-hub --version                  print the version

Options (environment variable in brackets):
  --host-name <name>    IoT Hub host name in connection strings [LOCAL_HUB_HOST_NAME] (localhost)
  --bind <address>      address to listen on [LOCAL_HUB_BIND] (127.0.0.1)
  --mqtt-port <port>    device MQTT over TLS port [LOCAL_HUB_MQTT_PORT] (8883)
  --https-port <port>   service REST port, 443 when permitted [LOCAL_HUB_HTTPS_PORT] (8443)
  --data-dir <dir>      state, certificates, connection.json [LOCAL_HUB_DATA_DIR] (.local-hub)
  --in-memory           keep nothing on disk [LOCAL_HUB_IN_MEMORY=1]
  --owner-key <base64>  iothubowner key instead of the well-known one [LOCAL_HUB_OWNER_KEY]
  --quota <S1|S2|S3[:units]>  enforce IoT Hub's throttles of that tier, answering 429 [LOCAL_HUB_QUOTA] (off)
  --view <port|off>     web view on 127.0.0.1, its URL printed below [LOCAL_HUB_VIEW] (8088)
  --log-level <level>   trace|debug|info|warn|error|silent [LOG_LEVEL] (info)`;

/** Parses argv (without node and the script) plus environment into a command. Throws CliError on bad input. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): LocalHubCommand {
  const { values, positionals } = withUsageErrors(() => parse(argv));
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command = 'start', action, deviceId, ...extra] = positionals;
  const dataDir = values['data-dir'] ?? env.LOCAL_HUB_DATA_DIR;
  if (command === 'start') {
    if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
    return { kind: 'start', settings: startSettings(values, env, dataDir) };
  }
  if (command !== 'device') throw usageError(`unknown command "${command}"`);
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  // A device command finds the hub through <data-dir>/connection.json; a start flag would be ignored.
  const startOnly = Object.keys(values).find((name) => !DEVICE_FLAGS.has(name));
  if (startOnly !== undefined) {
    throw usageError(`--${startOnly} is a flag of start; device commands find the hub through --data-dir`);
  }
  if (action === 'list') {
    if (deviceId !== undefined) throw usageError('device list takes no device id');
    return { kind: 'device', action, ...(dataDir === undefined ? {} : { dataDir }) };
  }
  if (action !== 'add' && action !== 'remove' && action !== 'show') {
    throw usageError(`device needs add, list, show or remove, got "${action ?? ''}"`);
  }
  if (deviceId === undefined || deviceId === '') throw usageError(`device ${action} needs a device id`);
  return { kind: 'device', action, deviceId, ...(dataDir === undefined ? {} : { dataDir }) };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      'host-name': { type: 'string' },
      bind: { type: 'string' },
      'mqtt-port': { type: 'string' },
      'https-port': { type: 'string' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean' },
      'owner-key': { type: 'string' },
      quota: { type: 'string' },
      'log-level': { type: 'string' },
      view: { type: 'string' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

/** The flags a device command uses; every other flag belongs to start. */
const DEVICE_FLAGS: ReadonlySet<string> = new Set(['data-dir', 'help', 'version']);

const PORT = { min: 0, max: 65_535, integer: true };

function startSettings(values: Values, env: NodeJS.ProcessEnv, dataDir: string | undefined): StartSettings {
  const settings: StartSettings = {
    inMemory: values['in-memory'] ?? isTruthy(env.LOCAL_HUB_IN_MEMORY),
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
  };
  const hostName = values['host-name'] ?? env.LOCAL_HUB_HOST_NAME;
  const bindAddress = values.bind ?? env.LOCAL_HUB_BIND;
  const mqttPort = numberFlag('--mqtt-port', values['mqtt-port'] ?? env.LOCAL_HUB_MQTT_PORT, undefined, PORT);
  const httpsPort = numberFlag(
    '--https-port',
    values['https-port'] ?? env.LOCAL_HUB_HTTPS_PORT,
    undefined,
    PORT,
  );
  const ownerKey = values['owner-key'] ?? env.LOCAL_HUB_OWNER_KEY;
  const view = viewFlag(values.view ?? env.LOCAL_HUB_VIEW);
  if (view !== undefined) settings.view = view;
  if (hostName !== undefined) settings.hostName = hostName;
  if (bindAddress !== undefined) settings.bindAddress = bindAddress;
  if (mqttPort !== undefined) settings.mqttPort = mqttPort;
  if (httpsPort !== undefined) settings.httpsPort = httpsPort;
  if (dataDir !== undefined) settings.dataDir = dataDir;
  if (ownerKey !== undefined) settings.ownerKey = ownerKey;
  const quota = values.quota ?? env.LOCAL_HUB_QUOTA;
  if (quota !== undefined) {
    const parsed = parseQuotaSpec(quota);
    if (typeof parsed === 'string') throw usageError(parsed);
    settings.quota = `${parsed.tier}:${parsed.units}`;
  }
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(settings.logLevel)) {
    throw usageError(`unknown log level "${settings.logLevel}"`);
  }
  return settings;
}

function viewFlag(text: string | undefined): number | false | undefined {
  if (text === undefined) return undefined;
  if (['off', 'false', 'no', 'none'].includes(text.toLowerCase())) return false;
  return numberFlag('--view', text, undefined, PORT) ?? undefined;
}

function isTruthy(text: string | undefined): boolean {
  return text !== undefined && ['1', 'true', 'yes'].includes(text.toLowerCase());
}
