import { setMaxListeners } from 'node:events';
import { type CliContext, CliError, EXIT_USAGE, mapSettledWithLimit } from '@iothub-reboot/app-kit';
import {
  ConnectionStringError,
  createServiceClients,
  parseServiceConnectionString,
} from '@iothub-reboot/service-connection';
import type { Logger } from 'pino';
import { checkDeviceConnectionString, ensureStateDir, readCa } from './checks';
import { ensureFleetIdentities } from './fleet-identities';
import type { DeviceSettings, FleetSettings, SingleDeviceSettings } from './options';
import { type SimulatedDevice, startSimulatedDevice } from './simulated-device';

/** Runs one device (the tutorial's program) or a simulated fleet until SIGINT/SIGTERM. */
export async function runDevice(
  settings: DeviceSettings,
  context: CliContext,
  logger: Logger,
): Promise<number> {
  // Every simulated device waits on the shutdown signal (reconnect backoff, simulated reboot).
  if (settings.kind === 'fleet') setMaxListeners(settings.count * 2 + 10, context.signal);
  const ca = await readCa(settings.caFile);
  await ensureStateDir(settings.stateDir);
  const devices =
    settings.kind === 'single'
      ? [await startOne(settings, ca, context, logger)]
      : await startFleet(settings, ca, context, logger);
  context.onShutdown(async () => {
    logger.info({ devices: devices.length }, 'Shutting down: closing the connection');
    await Promise.all(devices.map((device) => device.close()));
  });
  await new Promise<void>((resolve) =>
    context.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  return 0;
}

function startOne(
  settings: SingleDeviceSettings,
  ca: string | undefined,
  context: CliContext,
  logger: Logger,
) {
  const deviceId = checkDeviceConnectionString(settings.connectionString, logger);
  return startSimulatedDevice({ ...settings, deviceId, ca, logger, signal: context.signal });
}

async function startFleet(
  settings: FleetSettings,
  ca: string | undefined,
  context: CliContext,
  logger: Logger,
): Promise<SimulatedDevice[]> {
  const hostName = fleetHostName(settings.serviceConnectionString);
  const { registry, close } = createServiceClients(
    settings.serviceConnectionString,
    ca === undefined ? {} : { ca },
  );
  const started = Date.now();
  const identities = await ensureFleetIdentities(registry, settings).finally(close);
  logger.warn({ devices: identities.length, ms: Date.now() - started }, 'Fleet identities ready; connecting');
  const connected = Date.now();
  const results = await mapSettledWithLimit(
    identities,
    settings.connectConcurrency,
    ({ deviceId, primaryKey }) =>
      startSimulatedDevice({
        ...settings,
        deviceId,
        connectionString: [
          `HostName=${hostName}`,
          `DeviceId=${deviceId}`,
          `SharedAccessKey=${primaryKey}`,
          ...(settings.gatewayHostName ? [`GatewayHostName=${settings.gatewayHostName}`] : []),
        ].join(';'),
        ca,
        logger,
        signal: context.signal,
      }),
  );
  const devices = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.length - devices.length;
  if (failed > 0) {
    await Promise.all(devices.map((d) => d.close()));
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as Error;
    throw new CliError(
      `${failed} of ${results.length} simulated devices could not connect: ${first.message}`,
      {
        exitCode: first instanceof CliError ? first.exitCode : 1,
        code: 'fleet-connect',
        cause: first,
      },
    );
  }
  // warn level so it shows at the fleet's default log level: it is the one line saying the fleet is up.
  logger.warn(
    { devices: devices.length, ms: Date.now() - connected },
    'Fleet connected; waiting for commands',
  );
  return devices;
}

function fleetHostName(serviceConnectionString: string): string {
  try {
    return parseServiceConnectionString(serviceConnectionString).hostName;
  } catch (err) {
    if (!(err instanceof ConnectionStringError)) throw err;
    throw new CliError(`the service connection string is malformed: ${err.message}`, {
      exitCode: EXIT_USAGE,
      code: 'config',
      cause: err,
    });
  }
}
