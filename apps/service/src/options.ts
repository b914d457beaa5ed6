import { parseArgs } from 'node:util';
import { numberFlag, usageError, withUsageErrors } from '@iothub-reboot/app-kit';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import {
  type FailureLimit,
  parseFailureLimit,
  parseWaves,
  RolloutSpecError,
  type WaveBound,
} from './rollout';

/** Which devices to reboot: one (the tutorial), a list, or every device a twin query condition selects. */
export type RebootTarget =
  | { kind: 'device'; deviceId: string; moduleId?: string }
  | { kind: 'devices'; deviceIds: string[] }
  | { kind: 'where'; condition: string };

/** How the service app runs. */
export interface ServiceSettings {
  connectionString: string;
  target: RebootTarget;
  /** Fleets: `fan-out` invokes each device from here; `job` schedules an IoT Hub job. */
  strategy: 'fan-out' | 'job';
  /** Fleets, fan-out: method calls in flight at once. */
  concurrency: number;
  /** Fleets: reboot in waves, each confirmed before the next (cumulative bounds); none: one wave. */
  waves?: WaveBound[];
  /** Fleets: a wave with more failures than this stops the rollout. */
  maxFailures?: FailureLimit;
  /** Fleets: print which devices each wave would take, touch nothing. */
  dryRun: boolean;
  /** What is sent as the method payload: parsed JSON, or (seed style) the JSON text as a string. */
  payload: unknown;
  /** `--delay`: a scheduled reboot, this many seconds after the request (in the payload as `delaySeconds`). */
  delaySeconds: number;
  methodName: string;
  caFile?: string;
  responseTimeoutSeconds: number;
  connectTimeoutSeconds: number;
  pollIntervalMs: number;
  maxPolls: number;
  /** Allowance for the device's clock running behind the service's. */
  clockSkewMs: number;
  /**
   * For devices that do not echo the request's correlation id, whose clock says a reported reboot is
   * new: `auto` (default: the hub's write time, or the device's report for a twin without `$metadata`),
   * `hub-clock` or `device-clock`.
   */
  confirmBy: 'auto' | 'hub-clock' | 'device-clock';
  json: boolean;
  logLevel: string;
}

/** The seed tutorial's payload. */
export const DEFAULT_PAYLOAD = '{"method_number":"42"}';

export const USAGE = `Usage: iothub-reboot-service [options]

Asks a device to reboot through a direct method, then polls its twin until the device reports a reboot
later than the request.

Options (environment variable in brackets):
  --connection-string <cs>   service connection string [IOTHUB_CONNECTION_STRING] (required)
  --device-id <id>           device to reboot [IOTHUB_DEVICE_ID]
  --module-id <id>           with --device-id: reboot through this module of the device (its own method
                             and module twin) [IOTHUB_MODULE_ID]
  --devices <a,b,c>          reboot these devices (a fleet)
  --where <condition>        reboot every device this twin query condition selects, e.g. "tags.site = 'site-1'"
  --job                      fleets: schedule an IoT Hub job instead of invoking each device from here
  --concurrency <n>          fleets: method calls in flight at once (default 32)
  --waves <list>             fleets: reboot in waves, each confirmed through the twin before the next;
                             cumulative shares or counts, e.g. 1%,10%,100% or 5,50,100% (the rest, if
                             any, is a last wave)
  --max-failures <n|p%>      fleets: stop the rollout (exit 13, no further device touched) after a wave
                             with more failures than this
  --dry-run                  fleets: print which devices each wave would take, and touch nothing
  --payload <json>           method payload (default ${DEFAULT_PAYLOAD}, the tutorial's)
  --payload-as-string        send the payload as a JSON string, as the tutorial's Python service does
  --delay <s>                schedule the reboot this many seconds ahead, 0-3600 (delaySeconds in the
                             payload; the device answers 202 and reports rebooting with the planned time;
                             --max-polls then counts from the planned time)
  --method-name <name>       direct method (default ${REBOOT_METHOD_NAME})
  --ca <file>                PEM of a private CA to trust, e.g. the local hub's [IOTHUB_CA_FILE]
  --response-timeout <s>     seconds the device has to answer, 5-300 (default 60)
  --connect-timeout <s>      seconds to wait for an offline device to connect, 0-300 (default 10)
  --poll-interval <s>        seconds between twin reads (default 5)
  --max-polls <n>            twin reads before giving up (default 10)
  --clock-skew <s>           accept reboot times up to this much before the request (default 5)
  --confirm-by <clock>       for devices that do not echo the request's correlation id: auto (default):
                             the hub clock, or the device clock when the twin has no $metadata;
                             hub-clock: when the hub wrote the report, immune to device clocks that are
                             off; device-clock: the reported reboot time itself
  --json                     print one JSON result object instead of prose
  --log-level <level>        trace|debug|info|warn|error (default warn) [LOG_LEVEL]`;

/** Parses argv and environment; `undefined` means "print the usage". Throws CliError on bad input. */
export function parseServiceOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ServiceSettings | undefined {
  const { values } = withUsageErrors(() => parse(argv));
  if (values.help) return undefined;
  const connectionString = values['connection-string'] ?? env.IOTHUB_CONNECTION_STRING;
  if (!connectionString) {
    throw usageError(
      'no service connection string: set IOTHUB_CONNECTION_STRING or pass --connection-string',
    );
  }
  const target = rebootTarget(values, env);
  const payloadText = values.payload ?? DEFAULT_PAYLOAD;
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch {
    throw usageError(`--payload is not valid JSON: ${truncate(payloadText)}`);
  }
  const caFile = values.ca ?? env.IOTHUB_CA_FILE;
  const rollout = rolloutSettings(values, target);
  const delay = numberFlag('--delay', values.delay, 0, WHOLE(0, 3600));
  const isObject = typeof payload === 'object' && payload !== null && !Array.isArray(payload);
  if (values.delay !== undefined) {
    if (!isObject) throw usageError('--delay needs a JSON object payload to carry delaySeconds');
    payload = { ...(payload as object), delaySeconds: delay };
  }
  // A delay written into --payload directly counts as well, for the poll budget.
  const given = isObject ? (payload as { delaySeconds?: unknown }).delaySeconds : undefined;
  const delaySeconds = typeof given === 'number' && Number.isInteger(given) && given > 0 ? given : 0;
  return {
    connectionString,
    target,
    strategy: values.job ? 'job' : 'fan-out',
    concurrency: numberFlag('--concurrency', values.concurrency, 32, WHOLE(1, 1000)),
    ...rollout,
    // As a string, the text as given (the seed's exact bytes) unless --delay had to change it.
    payload: values['payload-as-string']
      ? values.delay === undefined
        ? payloadText
        : JSON.stringify(payload)
      : payload,
    delaySeconds,
    methodName: values['method-name'] ?? REBOOT_METHOD_NAME,
    ...(caFile ? { caFile } : {}),
    responseTimeoutSeconds: numberFlag('--response-timeout', values['response-timeout'], 60, WHOLE(5, 300)),
    connectTimeoutSeconds: numberFlag('--connect-timeout', values['connect-timeout'], 10, WHOLE(0, 300)),
    pollIntervalMs: Math.round(
      numberFlag('--poll-interval', values['poll-interval'], 5, { min: 0.05, max: 3600 }) * 1000,
    ),
    maxPolls: numberFlag('--max-polls', values['max-polls'], 10, WHOLE(1, 100_000)),
    clockSkewMs: Math.round(
      numberFlag('--clock-skew', values['clock-skew'], 5, { min: 0, max: 86_400 }) * 1000,
    ),
    confirmBy: confirmBy(values['confirm-by']),
    json: values.json ?? false,
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'warn',
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
      'device-id': { type: 'string' },
      'module-id': { type: 'string' },
      devices: { type: 'string' },
      where: { type: 'string' },
      job: { type: 'boolean' },
      concurrency: { type: 'string' },
      waves: { type: 'string' },
      'max-failures': { type: 'string' },
      'dry-run': { type: 'boolean' },
      payload: { type: 'string' },
      'payload-as-string': { type: 'boolean' },
      delay: { type: 'string' },
      'method-name': { type: 'string' },
      ca: { type: 'string' },
      'response-timeout': { type: 'string' },
      'connect-timeout': { type: 'string' },
      'poll-interval': { type: 'string' },
      'max-polls': { type: 'string' },
      'clock-skew': { type: 'string' },
      'confirm-by': { type: 'string' },
      json: { type: 'boolean' },
      'log-level': { type: 'string' },
    },
  });
}

const WHOLE = (min: number, max: number) => ({ min, max, integer: true });

type Values = ReturnType<typeof parse>['values'];

function confirmBy(text: string | undefined): ServiceSettings['confirmBy'] {
  if (text === undefined || text === 'auto' || text === 'hub-clock' || text === 'device-clock')
    return text ?? 'auto';
  throw usageError(`--confirm-by must be auto, hub-clock or device-clock, got "${text}"`);
}

function rebootTarget(values: Values, env: NodeJS.ProcessEnv): RebootTarget {
  const given = [values['device-id'], values.devices, values.where].filter((v) => v !== undefined);
  if (given.length > 1) throw usageError('give only one of --device-id, --devices and --where');
  const moduleId = values['module-id'] ?? env.IOTHUB_MODULE_ID;
  if (values['module-id'] !== undefined && (values.devices !== undefined || values.where !== undefined))
    throw usageError('--module-id targets one device: use it with --device-id');
  if (moduleId !== undefined && moduleId.trim() === '') throw usageError('--module-id needs a module id');
  if (values.devices !== undefined) {
    const deviceIds = [
      ...new Set(
        values.devices
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
      ),
    ];
    if (deviceIds.length === 0) throw usageError('--devices needs at least one device id');
    return { kind: 'devices', deviceIds };
  }
  if (values.where !== undefined) {
    if (values.where.trim() === '') throw usageError('--where needs a query condition');
    return { kind: 'where', condition: values.where.trim() };
  }
  const deviceId = values['device-id'] ?? env.IOTHUB_DEVICE_ID;
  if (!deviceId)
    throw usageError('no device: set IOTHUB_DEVICE_ID or pass --device-id, --devices or --where');
  if (values.job) throw usageError('--job is for fleets: use it with --devices or --where');
  return { kind: 'device', deviceId, ...(moduleId === undefined ? {} : { moduleId }) };
}

function rolloutSettings(
  values: Values,
  target: RebootTarget,
): Pick<ServiceSettings, 'waves' | 'maxFailures' | 'dryRun'> {
  const given = (['waves', 'max-failures', 'dry-run'] as const).filter((flag) => values[flag] !== undefined);
  if (target.kind === 'device' && given.length > 0) {
    throw usageError(`--${given[0]} is for fleets: use it with --devices or --where`);
  }
  try {
    return {
      ...(values.waves === undefined ? {} : { waves: parseWaves(values.waves) }),
      ...(values['max-failures'] === undefined
        ? {}
        : { maxFailures: parseFailureLimit(values['max-failures']) }),
      dryRun: values['dry-run'] ?? false,
    };
  } catch (err) {
    if (err instanceof RolloutSpecError) throw usageError(err.message);
    throw err;
  }
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
