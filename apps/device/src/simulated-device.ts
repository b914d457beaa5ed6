import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT_USAGE } from '@iothub-reboot/app-kit';
import {
  attachRebootHandler,
  type ConnectionKeeper,
  classifyOpenFailure,
  createFileRebootStore,
  isFatalOpenFailure,
  keepConnected,
  OpenAbortedError,
  openWithRetry,
  type PendingRebootStore,
  type RebootActionRequest,
  type RebootHandler,
  type ResponseMode,
  reportPendingReboot,
} from '@iothub-reboot/device-reboot-handler';
import { Client } from 'azure-iot-device';
import { Mqtt, MqttWs } from 'azure-iot-device-mqtt';
import type { Logger } from 'pino';
import { runRebootCommand } from './reboot-command';

/** Exit code when the hub refuses the device's credentials (wrong key, unknown or disabled device). */
export const EXIT_UNAUTHORIZED = 3;
/** Exit code when no connection to the hub could be made within `connectTimeoutSeconds`. */
export const EXIT_UNREACHABLE = 9;

const RECONNECT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

/** One simulated device's settings. */
export interface SimulatedDeviceOptions {
  deviceId: string;
  connectionString: string;
  ca: string | undefined;
  transport: 'mqtt' | 'mqtt-ws';
  rebootSeconds: number;
  /** How long the first connection is retried while the hub cannot be reached, before exit 9. */
  connectTimeoutSeconds: number;
  methodName: string;
  mode: ResponseMode;
  stateDir: string;
  /** A real restart to run instead of the simulated reboot (see {@link realRestart}). */
  rebootCommand?: string;
  logger: Logger;
  /** Aborted on shutdown: stops reconnecting and cuts a simulated reboot short. */
  signal: AbortSignal;
}

/** A connected simulated device. */
export interface SimulatedDevice {
  deviceId: string;
  /** Detaches the handler (a running reboot still answers) and closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects a real `azure-iot-device` client, reports a reboot a previous run left pending, then answers
 * the reboot method with a simulated reboot. Stays connected: the SDK's retry policy, plus the handler
 * library's `keepConnected` when the SDK gives up. Rejects with a CliError when the hub refuses the
 * credentials.
 */
export async function startSimulatedDevice(options: SimulatedDeviceOptions): Promise<SimulatedDevice> {
  const { deviceId, signal } = options;
  const log = options.logger.child({ deviceId });
  const client = Client.fromConnectionString(
    options.connectionString,
    options.transport === 'mqtt' ? Mqtt : MqttWs,
  );
  if (options.ca !== undefined) await client.setOptions({ ca: options.ca });
  client.on('error', (err: Error) => log.warn({ err }, 'client error'));
  const store = createFileRebootStore(
    join(options.stateDir, `${encodeURIComponent(deviceId)}.pending-reboot.json`),
  );

  let handler: RebootHandler | undefined;
  let keeper: ConnectionKeeper | undefined;
  const restart = { underWay: false };
  const close = async () => {
    await keeper?.stop();
    // A real restart under way never completes in this process: waiting for it would hold the shutdown
    // the restart itself asked for. Its durable record makes the next start report it.
    if (!restart.underWay) await handler?.detach();
    await client.close();
  };
  try {
    // Open first: registering a method handler on a closed client makes the SDK connect by itself,
    // racing our own open().
    await openFirst(client, options, log);
    log.info('Connected to IoT Hub');
    await reportPending(client, store, log);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  handler = attachRebootHandler(client, {
    reboot:
      options.rebootCommand === undefined
        ? async (_request: RebootActionRequest) => {
            // delaySeconds was waited for by the handler. Aborted by shutdown: the reboot fails instead
            // of holding the process up.
            await sleep(options.rebootSeconds * 1000, undefined, { signal });
          }
        : realRestart(options.rebootCommand, restart, log),
    methodName: options.methodName,
    mode: options.mode,
    store,
    logger: log,
  });
  // After a TCP reset the SDK gives up; the reopened client then reports what a reboot still owes.
  keeper = keepConnected(client, {
    signal,
    logger: log,
    backoff: RECONNECT_BACKOFF,
    onReconnected: () => reportPending(client, store, log),
  });
  log.info({ method: options.methodName, mode: options.mode }, 'Waiting for commands');
  return { deviceId, close };
}

/**
 * The reboot action of `--reboot-command`. The handler has made the `rebooting` record durable and
 * reported `rebooting` before this runs. A command that fails rejects (reported `failed`); one that exits
 * 0 has started the restart, so the action never settles: the restart ends this process, and the next
 * start reports the reboot once from the record.
 */
function realRestart(command: string, restart: { underWay: boolean }, log: Logger) {
  return async (_request: RebootActionRequest): Promise<void> => {
    restart.underWay = true;
    try {
      await runRebootCommand(command);
    } catch (err) {
      restart.underWay = false;
      throw err;
    }
    log.warn('Reboot command succeeded; waiting for the restart to end this process');
    await new Promise<never>(() => undefined);
  };
}

/**
 * The first connection. The SDK names every failed first open `UnauthorizedError`, so the cause decides
 * (see `classifyOpenFailure`): a refused or dropped connection is retried with backoff for
 * `connectTimeoutSeconds`, then exit 9; an untrusted certificate is a configuration error (exit 2, pass
 * `--ca`); only a CONNACK refusal is a credentials error (exit 3).
 */
async function openFirst(client: Client, options: SimulatedDeviceOptions, log: Logger): Promise<void> {
  const deadline = AbortSignal.timeout(options.connectTimeoutSeconds * 1000);
  let lastFailure: unknown;
  try {
    await openWithRetry(client, {
      signal: AbortSignal.any([options.signal, deadline]),
      logger: log,
      backoff: RECONNECT_BACKOFF,
      isFatal: (err) => {
        lastFailure = err;
        return isFatalOpenFailure(err);
      },
    });
  } catch (err) {
    if (err instanceof OpenAbortedError) {
      if (options.signal.aborted) throw err;
      throw new CliError(
        `hub unreachable: no connection within ${options.connectTimeoutSeconds} s (last error: ${causeOf(lastFailure)}); check the host name, the port (GatewayHostName) and that the hub runs`,
        { exitCode: EXIT_UNREACHABLE, code: 'unreachable', cause: lastFailure },
      );
    }
    switch (classifyOpenFailure(err)) {
      case 'untrusted-certificate':
        throw new CliError(
          `the hub's TLS certificate is not trusted (${causeOf(err)}): pass the hub's CA with --ca (the local hub's is <data dir>/ca.pem)`,
          { exitCode: EXIT_USAGE, code: 'untrusted-certificate', cause: err },
        );
      case 'credentials-refused':
        throw new CliError(
          'the hub refused the device credentials: check the device id and key, and that the device exists and is enabled',
          { exitCode: EXIT_UNAUTHORIZED, code: 'unauthorized', cause: err },
        );
      default:
        throw err;
    }
  }
}

/** The innermost message of an SDK open failure, without the SDK's misleading "(Not authorized)" prefix. */
function causeOf(err: unknown): string {
  const inner = (err as { transportError?: { message?: unknown } } | undefined)?.transportError?.message;
  const message = typeof inner === 'string' ? inner : err instanceof Error ? err.message : String(err);
  return message.replace(/^.*?Failure on first connection \(Not authorized\): /, '');
}

async function reportPending(client: Client, store: PendingRebootStore, log: Logger): Promise<void> {
  try {
    const outcome = await reportPendingReboot(client, { store, logger: log });
    if (outcome.status === 'reported') {
      log.info(
        { rebootTime: outcome.rebootTime.toISOString() },
        'Reported the reboot recorded before the restart',
      );
    }
  } catch (err) {
    // The record stays in the store; the next connection tries again.
    log.warn({ err }, 'Could not report the pending reboot yet');
  }
}
