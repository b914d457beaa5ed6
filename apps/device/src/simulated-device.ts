import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '@iothub-reboot/app-kit';
import {
  attachRebootHandler,
  type ConnectionKeeper,
  createFileRebootStore,
  keepConnected,
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

const RECONNECT_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

/** One simulated device's settings. */
export interface SimulatedDeviceOptions {
  deviceId: string;
  connectionString: string;
  ca: string | undefined;
  transport: 'mqtt' | 'mqtt-ws';
  rebootSeconds: number;
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
    await openWithRetry(client, { signal, logger: log, backoff: RECONNECT_BACKOFF }).catch(unauthorized);
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

/** Refused credentials end the start with a CliError (exit 3); anything else is passed on. */
function unauthorized(err: unknown): never {
  if ((err as Error | null)?.name === 'UnauthorizedError') {
    throw new CliError(
      'the hub refused the device credentials: check the device id and key, and that the device exists and is enabled',
      { exitCode: EXIT_UNAUTHORIZED, code: 'unauthorized', cause: err },
    );
  }
  throw err;
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
