import { parseArgs } from 'node:util';
import { numberFlag, usageError, withUsageErrors } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { RESPONSE_MODES, type ResponseMode } from '@iothub-reboot/device-reboot-handler';

/** What every simulated device shares. */
interface CommonSettings {
  /** PEM file of a private CA to trust (the local hub's); else the system CAs (plus NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  transport: 'mqtt' | 'mqtt-ws';
  rebootSeconds: number;
  /** How long the first connection is retried while the hub cannot be reached (then exit 9). */
  connectTimeoutSeconds: number;
  methodName: string;
  mode: ResponseMode;
  logLevel: string;
  /** Where pending-reboot records are kept between runs. */
  stateDir: string;
}

/** One device, as in the tutorial. */
export interface SingleDeviceSettings extends CommonSettings {
  kind: 'single';
  connectionString: string;
  /** A real restart (`systemctl reboot`, a script) instead of the simulated one; implies respond-then-reboot. */
  rebootCommand?: string;
}

/** A simulated fleet in one process: identities created through the registry when missing. */
export interface FleetSettings extends CommonSettings {
  kind: 'fleet';
  count: number;
  idPrefix: string;
  sites: number;
  /** A service connection string with registry read/write rights, to create the identities. */
  serviceConnectionString: string;
  /** `host:port` the devices connect to instead of the hub host (the local hub's MQTT port). */
  gatewayHostName?: string;
  connectConcurrency: number;
}

export type DeviceSettings = SingleDeviceSettings | FleetSettings;

export const USAGE = `Usage: iothub-reboot-device [options]

Waits for the reboot direct method, simulates a reboot, reports the reboot time in the device twin.

Options (environment variable in brackets):
  --connection-string <cs>  device connection string [IOTHUB_DEVICE_CONNECTION_STRING] (required)
  --ca <file>               PEM of a private CA to trust, e.g. the local hub's [IOTHUB_CA_FILE]
  --transport <t>           mqtt | mqtt-ws (default mqtt)
  --reboot-seconds <n>      how long the simulated reboot takes (default 20, the tutorial's)
  --connect-timeout <s>     retry the first connection this long while the hub is unreachable, then
                            exit 9 (default 60)
  --method-name <name>      direct method to answer (default ${REBOOT_METHOD_NAME})
  --mode <m>                report-then-respond (default) | respond-then-reboot
  --state-dir <dir>         where a pending reboot is recorded (default .device-state)
  --reboot-command <cmd>    run this real restart (e.g. "systemctl reboot") instead of simulating one;
                            implies --mode respond-then-reboot; exit 0 means the restart is under way,
                            anything else is reported as a failed reboot
  --log-level <level>       trace|debug|info|warn|error (default info; warn for fleets) [LOG_LEVEL]

Simulated fleet (N devices in this process, each a real SDK client with its own identity):
  --count <n>                       number of devices (enables fleet mode)
  --id-prefix <prefix>              device ids <prefix>0000… (default sim-)
  --sites <k>                       spread devices over tags.site = site-0 … site-<k-1> (default 4)
  --service-connection-string <cs>  to create missing identities [IOTHUB_CONNECTION_STRING] (required)
  --gateway-host-name <host:port>   where devices connect, e.g. the local hub's MQTT port
  --connect-concurrency <n>         devices connecting at once (default 50)`;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Parses argv and environment; `undefined` means "print the usage". Throws CliError on bad input. */
export function parseDeviceOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): DeviceSettings | undefined {
  const { values } = withUsageErrors(() => parse(argv));
  if (values.help) return undefined;
  const fleet = values.count !== undefined;
  const common = commonSettings(values, env, fleet);
  if (!fleet) {
    const connectionString = values['connection-string'] ?? env.IOTHUB_DEVICE_CONNECTION_STRING;
    if (!connectionString) {
      throw usageError(
        'no device connection string: set IOTHUB_DEVICE_CONNECTION_STRING or pass --connection-string',
      );
    }
    const rebootCommand = values['reboot-command'];
    if (rebootCommand === undefined) return { kind: 'single', connectionString, ...common };
    if (rebootCommand.trim() === '') throw usageError('--reboot-command needs a command');
    if (values.mode === 'report-then-respond') {
      throw usageError(
        '--reboot-command restarts the device before it could answer: use --mode respond-then-reboot (the default with it)',
      );
    }
    return { kind: 'single', connectionString, ...common, mode: 'respond-then-reboot', rebootCommand };
  }
  if (values['reboot-command'] !== undefined) {
    throw usageError('--reboot-command restarts the machine: it is for one device, not a simulated fleet');
  }
  const serviceConnectionString = values['service-connection-string'] ?? env.IOTHUB_CONNECTION_STRING;
  if (!serviceConnectionString) {
    throw usageError(
      'a fleet needs a service connection string to create its devices: set IOTHUB_CONNECTION_STRING',
    );
  }
  const idPrefix = values['id-prefix'] ?? 'sim-';
  if (!/^[A-Za-z0-9\-:.+%_#*?!(),=@$']{1,100}$/.test(idPrefix))
    throw usageError(`--id-prefix "${idPrefix}" is not a valid device id start`);
  const gatewayHostName = values['gateway-host-name'];
  return {
    kind: 'fleet',
    ...common,
    count: numberFlag('--count', values.count, 1, { min: 1, max: 100_000, integer: true }),
    idPrefix,
    sites: numberFlag('--sites', values.sites, 4, { min: 1, max: 10_000, integer: true }),
    serviceConnectionString,
    ...(gatewayHostName ? { gatewayHostName } : {}),
    connectConcurrency: numberFlag('--connect-concurrency', values['connect-concurrency'], 50, {
      min: 1,
      max: 1000,
      integer: true,
    }),
  };
}

function commonSettings(values: Values, env: NodeJS.ProcessEnv, fleet: boolean): CommonSettings {
  const transport = values.transport ?? 'mqtt';
  if (transport !== 'mqtt' && transport !== 'mqtt-ws')
    throw usageError(`--transport must be mqtt or mqtt-ws, got "${transport}"`);
  const mode = values.mode ?? 'report-then-respond';
  if (!(RESPONSE_MODES as readonly string[]).includes(mode)) {
    throw usageError(`--mode must be one of ${RESPONSE_MODES.join(', ')}, got "${mode}"`);
  }
  const methodName = values['method-name'] ?? REBOOT_METHOD_NAME;
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(methodName))
    throw usageError(`--method-name "${methodName}" is not a valid method name`);
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? (fleet ? 'warn' : 'info');
  if (!LOG_LEVELS.includes(logLevel)) throw usageError(`unknown log level "${logLevel}"`);
  const caFile = values.ca ?? env.IOTHUB_CA_FILE;
  return {
    ...(caFile ? { caFile } : {}),
    transport,
    rebootSeconds: numberFlag('--reboot-seconds', values['reboot-seconds'], 20, { min: 0, max: 3600 }),
    connectTimeoutSeconds: numberFlag('--connect-timeout', values['connect-timeout'], 60, {
      min: 1,
      max: 86_400,
    }),
    methodName,
    mode: mode as ResponseMode,
    logLevel,
    stateDir: values['state-dir'] ?? '.device-state',
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      'connection-string': { type: 'string' },
      ca: { type: 'string' },
      transport: { type: 'string' },
      'reboot-seconds': { type: 'string' },
      'connect-timeout': { type: 'string' },
      'method-name': { type: 'string' },
      mode: { type: 'string' },
      'state-dir': { type: 'string' },
      'reboot-command': { type: 'string' },
      'log-level': { type: 'string' },
      count: { type: 'string' },
      'id-prefix': { type: 'string' },
      sites: { type: 'string' },
      'service-connection-string': { type: 'string' },
      'gateway-host-name': { type: 'string' },
      'connect-concurrency': { type: 'string' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];
