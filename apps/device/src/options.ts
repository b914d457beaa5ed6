import { parseArgs } from 'node:util';
import { numberFlag, usageError, withUsageErrors } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { RESPONSE_MODES, type ResponseMode } from '@iothub-reboot/device-reboot-handler';

/** How the device app runs. */
export interface DeviceSettings {
  connectionString: string;
  /** PEM file of a private CA to trust (the local hub's); else the system CAs (plus NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  transport: 'mqtt' | 'mqtt-ws';
  rebootSeconds: number;
  methodName: string;
  mode: ResponseMode;
  logLevel: string;
  /** Where the pending-reboot record is kept between runs. */
  stateDir: string;
}

export const USAGE = `Usage: iothub-reboot-device [options]

Waits for the reboot direct method, simulates a reboot, reports the reboot time in the device twin.

Options (environment variable in brackets):
  --connection-string <cs>  device connection string [IOTHUB_DEVICE_CONNECTION_STRING] (required)
  --ca <file>               PEM of a private CA to trust, e.g. the local hub's [IOTHUB_CA_FILE]
  --transport <t>           mqtt | mqtt-ws (default mqtt)
  --reboot-seconds <n>      how long the simulated reboot takes (default 20, the tutorial's)
  --method-name <name>      direct method to answer (default ${REBOOT_METHOD_NAME})
  --mode <m>                report-then-respond (default) | respond-then-reboot
  --state-dir <dir>         where a pending reboot is recorded (default .device-state)
  --log-level <level>       trace|debug|info|warn|error (default info) [LOG_LEVEL]`;

/** Parses argv and environment; `undefined` means "print the usage". Throws CliError on bad input. */
export function parseDeviceOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): DeviceSettings | undefined {
  const { values } = withUsageErrors(() => parse(argv));
  if (values.help) return undefined;
  const connectionString = values['connection-string'] ?? env.IOTHUB_DEVICE_CONNECTION_STRING;
  if (!connectionString) {
    throw usageError(
      'no device connection string: set IOTHUB_DEVICE_CONNECTION_STRING or pass --connection-string',
    );
  }
  const transport = values.transport ?? 'mqtt';
  if (transport !== 'mqtt' && transport !== 'mqtt-ws')
    throw usageError(`--transport must be mqtt or mqtt-ws, got "${transport}"`);
  const mode = values.mode ?? 'report-then-respond';
  if (!(RESPONSE_MODES as readonly string[]).includes(mode)) {
    throw usageError(`--mode must be one of ${RESPONSE_MODES.join(', ')}, got "${mode}"`);
  }
  const rebootSeconds = numberFlag('--reboot-seconds', values['reboot-seconds'], 20, { min: 0, max: 3600 });
  const methodName = values['method-name'] ?? REBOOT_METHOD_NAME;
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(methodName))
    throw usageError(`--method-name "${methodName}" is not a valid method name`);
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? 'info';
  const caFile = values.ca ?? env.IOTHUB_CA_FILE;
  return {
    connectionString,
    ...(caFile ? { caFile } : {}),
    transport,
    rebootSeconds,
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
      'method-name': { type: 'string' },
      mode: { type: 'string' },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
}
