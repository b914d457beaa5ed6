import { parseArgs } from 'node:util';
import { numberFlag, usageError, withUsageErrors } from '@iothub-reboot/app-kit';
import { parseQuotaSpec } from '../index';
import type { CaAction, CertAction } from './x509-commands';

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
  | { kind: 'device'; action: 'add'; deviceId: string; x509?: DeviceX509; dataDir?: string }
  | { kind: 'device'; action: 'remove' | 'show'; deviceId: string; dataDir?: string }
  | { kind: 'device'; action: 'list'; dataDir?: string }
  | ({ kind: 'cert'; dataDir?: string } & CertAction)
  | ({ kind: 'ca'; dataDir?: string } & CaAction)
  | { kind: 'help' }
  | { kind: 'version' };

/** How `device add` registers an X.509 device: by a certificate file's thumbprint, or by CA. */
export type DeviceX509 = { type: 'selfSigned'; certFile: string } | { type: 'certificateAuthority' };

export const USAGE = `Usage:
  local-hub [start] [options]          run the hub in the foreground (Ctrl-C stops it)
  local-hub device add <id>            register a device and print its connection string
  local-hub device list                list registered devices
  local-hub device show <id>           print a device's connection string
  local-hub device remove <id>         delete a device
    device add <id> --x509-cert <pem>  an X.509 selfSigned device (the certificate's thumbprint)
    device add <id> --x509-ca          an X.509 device authenticated by a verified CA certificate
  local-hub cert ca <name>             make a test root CA: <out>/<name>.pem and <name>.key.pem
  local-hub cert device <id> [--ca <name>]
                                       make a device certificate (CN = id), CA-signed or self-signed
  local-hub ca add <name> <pem> [--key <pem> | --verified]
                                       upload a CA certificate; --key proves possession (verified)
  local-hub ca list                    list the hub's CA certificates
  local-hub ca remove <name>           delete a CA certificate (its devices can no longer connect)
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
  --log-level <level>   trace|debug|info|warn|error|silent [LOG_LEVEL] (info)
  --out <dir>           where "cert" writes and reads files (<data-dir>/x509)`;

/** Parses argv (without node and the script) plus environment into a command. Throws CliError on bad input. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): LocalHubCommand {
  const { values, positionals } = withUsageErrors(() => parse(argv));
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command = 'start', action, deviceId, ...extra] = positionals;
  const dataDir = values['data-dir'] ?? env.LOCAL_HUB_DATA_DIR;
  if (command === 'start') {
    if (positionals.length > 1) throw usageError(`unexpected argument "${positionals[1]}"`);
    rejectOtherFlags(values, 'start');
    return { kind: 'start', settings: startSettings(values, env, dataDir) };
  }
  const inDataDir = dataDir === undefined ? {} : { dataDir };
  if (command === 'cert') {
    rejectOtherFlags(values, 'cert');
    return { kind: 'cert', ...certAction(values, positionals.slice(1)), ...inDataDir };
  }
  if (command === 'ca') {
    rejectOtherFlags(values, 'ca');
    return { kind: 'ca', ...caAction(values, positionals.slice(1)), ...inDataDir };
  }
  if (command !== 'device') throw usageError(`unknown command "${command}"`);
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  if (action !== 'add' && (values['x509-cert'] !== undefined || values['x509-ca']))
    throw usageError('--x509-cert and --x509-ca go with "device add"');
  rejectOtherFlags(values, 'device');
  if (action === 'list') {
    if (deviceId !== undefined) throw usageError('device list takes no device id');
    return { kind: 'device', action, ...(dataDir === undefined ? {} : { dataDir }) };
  }
  if (action !== 'add' && action !== 'remove' && action !== 'show') {
    throw usageError(`device needs add, list, show or remove, got "${action ?? ''}"`);
  }
  if (deviceId === undefined || deviceId === '') throw usageError(`device ${action} needs a device id`);
  if (action === 'add') {
    const x509 = deviceX509(values);
    return { kind: 'device', action, deviceId, ...(x509 ? { x509 } : {}), ...inDataDir };
  }
  return { kind: 'device', action, deviceId, ...inDataDir };
}

function deviceX509(values: Values): DeviceX509 | undefined {
  const certFile = values['x509-cert'];
  if (certFile !== undefined && values['x509-ca']) throw usageError('use --x509-cert or --x509-ca, not both');
  if (certFile !== undefined) return { type: 'selfSigned', certFile };
  return values['x509-ca'] ? { type: 'certificateAuthority' } : undefined;
}

function certAction(values: Values, args: readonly string[]): CertAction {
  const [what, name, ...extra] = args;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  const out = values.out === undefined ? {} : { out: values.out };
  if (what !== 'ca' && what !== 'device') throw usageError(`cert needs ca or device, got "${what ?? ''}"`);
  if (name === undefined || name === '')
    throw usageError(what === 'ca' ? 'cert ca needs a name' : 'cert device needs a device id');
  if (what === 'ca') {
    if (values.ca !== undefined) throw usageError('--ca goes with "cert device"');
    return { action: 'ca', name, ...out };
  }
  return { action: 'device', deviceId: name, ...(values.ca === undefined ? {} : { ca: values.ca }), ...out };
}

function caAction(values: Values, args: readonly string[]): CaAction {
  const [action, name, file, ...extra] = args;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  if (action === 'list') {
    if (name !== undefined) throw usageError('ca list takes no name');
    return { action };
  }
  if (action !== 'add' && action !== 'remove')
    throw usageError(`ca needs add, list or remove, got "${action ?? ''}"`);
  if (name === undefined || name === '') throw usageError(`ca ${action} needs a certificate name`);
  if (action === 'remove') {
    if (file !== undefined) throw usageError(`unexpected argument "${file}"`);
    return { action, name };
  }
  if (file === undefined) throw usageError('ca add needs the certificate file: ca add <name> <pem>');
  const verified = values.verified ?? false;
  if (verified && values.key !== undefined) throw usageError('use --key or --verified, not both');
  return {
    action,
    name,
    certFile: file,
    ...(values.key === undefined ? {} : { keyFile: values.key }),
    verified,
  };
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
      out: { type: 'string' },
      ca: { type: 'string' },
      key: { type: 'string' },
      verified: { type: 'boolean' },
      'x509-cert': { type: 'string' },
      'x509-ca': { type: 'boolean' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

type Command = 'start' | 'device' | 'cert' | 'ca';

/** The command each flag belongs to; `--data-dir`, `--help` and `--version` go with every command. */
const FLAG_OWNER: Readonly<Record<string, Command>> = {
  'host-name': 'start',
  bind: 'start',
  'mqtt-port': 'start',
  'https-port': 'start',
  'in-memory': 'start',
  'owner-key': 'start',
  quota: 'start',
  'log-level': 'start',
  view: 'start',
  'x509-cert': 'device',
  'x509-ca': 'device',
  out: 'cert',
  ca: 'cert',
  key: 'ca',
  verified: 'ca',
};

/** A flag of another command would be silently ignored; say whose it is instead. */
function rejectOtherFlags(values: Values, command: Command): void {
  for (const name of Object.keys(values)) {
    const owner = FLAG_OWNER[name];
    if (owner === undefined || owner === command) continue;
    // Device and ca commands find the hub through <data-dir>/connection.json (cert needs no hub).
    const hint =
      owner === 'start' && (command === 'device' || command === 'ca')
        ? `; ${command} commands find the hub through --data-dir`
        : '';
    throw usageError(`--${name} is a flag of ${owner}${hint}`);
  }
}

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
