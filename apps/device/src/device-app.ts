import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CliContext, CliError, EXIT_USAGE } from '@iothub-reboot/app-kit';
import {
  attachRebootHandler,
  createFileRebootStore,
  type RebootActionRequest,
  type RebootHandler,
  reportPendingReboot,
} from '@iothub-reboot/device-reboot-handler';
import { Client, ConnectionString } from 'azure-iot-device';
import { Mqtt, MqttWs } from 'azure-iot-device-mqtt';
import type { Logger } from 'pino';
import type { DeviceSettings } from './options';

/** Exit code when the hub refuses the device's credentials (wrong key, unknown or disabled device). */
export const EXIT_UNAUTHORIZED = 3;

const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

/**
 * The sample device: connects, reports a reboot a previous run left pending, answers the reboot method
 * with a simulated reboot, and stays connected (the SDK's retry policy, plus a reopen of ours when the
 * SDK gives up) until SIGINT/SIGTERM.
 */
export async function runDevice(
  settings: DeviceSettings,
  context: CliContext,
  logger: Logger,
): Promise<number> {
  const deviceId = checkConnectionString(settings.connectionString, logger);
  const ca = await readCa(settings.caFile);
  const log = logger.child({ deviceId });

  const client = Client.fromConnectionString(
    settings.connectionString,
    settings.transport === 'mqtt' ? Mqtt : MqttWs,
  );
  if (ca !== undefined) await client.setOptions({ ca });
  client.on('error', (err: Error) => log.warn({ err }, 'client error'));

  await mkdir(settings.stateDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot create the state directory ${settings.stateDir}: ${err.code ?? err.message}`, {
      exitCode: EXIT_USAGE,
      code: 'config',
    });
  });
  const store = createFileRebootStore(
    join(settings.stateDir, `${encodeURIComponent(deviceId)}.pending-reboot.json`),
  );
  const simulatedReboot = async ({ payload }: RebootActionRequest) => {
    const seconds = (payload.delaySeconds ?? 0) + settings.rebootSeconds;
    // Aborted by Ctrl-C/SIGTERM: the reboot fails (answered 500) instead of holding up the shutdown.
    await sleep(seconds * 1000, undefined, { signal: context.signal });
  };
  let stopping = false;
  let handler: RebootHandler | undefined;
  context.onShutdown(async () => {
    stopping = true;
    log.info('Shutting down: closing the connection');
    await handler?.detach();
    await client.close();
  });

  // Open first: registering a method handler on a closed client makes the SDK connect by itself,
  // racing our own open().
  await openUntilConnected(client, context.signal, log);
  if (context.signal.aborted) return 0;
  await reportPending(client, store, log);
  handler = attachRebootHandler(client, {
    reboot: simulatedReboot,
    methodName: settings.methodName,
    mode: settings.mode,
    store,
    logger: log,
  });

  log.info({ method: settings.methodName, mode: settings.mode }, 'Waiting for commands');

  client.on('disconnect', () => {
    if (stopping) return;
    log.warn('Disconnected and the SDK stopped retrying: reopening');
    void openUntilConnected(client, context.signal, log).then(() => reportPending(client, store, log));
  });
  await new Promise<void>((resolve) =>
    context.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  return 0;
}

/** Validates the connection string with the SDK's own parser; returns the device id. */
function checkConnectionString(connectionString: string, logger: Logger): string {
  let parsed: { DeviceId?: string; SharedAccessSignature?: string; GatewayHostName?: string };
  try {
    parsed = ConnectionString.parse(connectionString);
  } catch (err) {
    // The SDK's messages name the missing field, never a value.
    throw new CliError(`the device connection string is malformed: ${(err as Error).message}`, {
      exitCode: EXIT_USAGE,
      code: 'config',
      cause: err,
    });
  }
  if (parsed.SharedAccessSignature && parsed.GatewayHostName) {
    // The SDK takes host and device from a ready token and ignores GatewayHostName.
    logger.warn(
      'a connection string with a SharedAccessSignature ignores GatewayHostName; use a SharedAccessKey',
    );
  }
  return parsed.DeviceId ?? '';
}

async function readCa(caFile: string | undefined): Promise<string | undefined> {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  // Node only warns about an unreadable NODE_EXTRA_CA_CERTS; fail instead of failing TLS later.
  for (const [file, what] of [
    [caFile, '--ca'],
    [extra, 'NODE_EXTRA_CA_CERTS'],
  ] as const) {
    if (!file) continue;
    const pem = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read the CA file given by ${what} (${file}): ${err.code ?? err.message}`, {
        exitCode: EXIT_USAGE,
        code: 'config',
      });
    });
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new CliError(`the CA file given by ${what} (${file}) holds no PEM certificate`, {
        exitCode: EXIT_USAGE,
        code: 'config',
      });
    }
    if (file === caFile) return pem;
  }
  return undefined;
}

/** Opens the client, retrying with capped exponential backoff; credentials refused end the app. */
async function openUntilConnected(client: Client, signal: AbortSignal, log: Logger): Promise<void> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      await client.open();
      log.info('Connected to IoT Hub');
      return;
    } catch (err) {
      if ((err as Error).name === 'UnauthorizedError') {
        throw new CliError(
          'the hub refused the device credentials: check the device id and key, and that the device exists and is enabled',
          { exitCode: EXIT_UNAUTHORIZED, code: 'unauthorized', cause: err },
        );
      }
      const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
      log.warn({ err, retryInMs: Math.round(delay) }, 'Could not connect; retrying');
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }
}

async function reportPending(client: Client, store: ReturnType<typeof createFileRebootStore>, log: Logger) {
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
