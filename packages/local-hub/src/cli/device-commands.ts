import { CliError } from '@iothub-reboot/app-kit';
import { createServiceClients } from '@iothub-reboot/service-connection';
import { formatDeviceConnectionString } from '../index';
import type { DeviceX509 } from './options';
import { findRunningHub, hubNotRunning } from './running-hub';
import { x509Authentication, x509ConnectionString } from './x509-devices';

/** Exit code when the device does not exist (show/remove) or already exists (add). */
export const EXIT_DEVICE = 4;

type DeviceAction =
  | { action: 'add'; deviceId: string; x509?: DeviceX509 }
  | { action: 'remove' | 'show'; deviceId: string }
  | { action: 'list' };

/**
 * Manages devices of a running local hub through its REST API with the real `azure-iothub` Registry,
 * the same way a user's service code would. The hub is found through `<dataDir>/connection.json`.
 */
export async function runDeviceCommand(
  command: DeviceAction & { dataDir?: string },
  print: (text: string) => void,
): Promise<number> {
  const { connection, ca } = await findRunningHub(command.dataDir);
  const { registry, close } = createServiceClients(connection.serviceConnectionString, { ca });
  try {
    switch (command.action) {
      case 'list': {
        const { responseBody: devices } = await registry.list();
        if (devices.length === 0) print('no devices');
        for (const d of devices) print(`${d.deviceId}\t${d.status ?? 'enabled'}\t${d.connectionState ?? ''}`);
        return 0;
      }
      case 'add': {
        if (command.x509) {
          const authentication = await x509Authentication(command.x509);
          await registry.create({ deviceId: command.deviceId, authentication } as never);
          print(x509ConnectionString(connection, command.deviceId));
          return 0;
        }
        const { responseBody: device } = await registry.create({ deviceId: command.deviceId });
        print(
          connectionStringOf(connection, command.deviceId, device.authentication?.symmetricKey?.primaryKey),
        );
        return 0;
      }
      case 'show': {
        const { responseBody: device } = await registry.get(command.deviceId);
        const type = (device.authentication as { type?: string } | undefined)?.type;
        if (type === 'selfSigned' || type === 'certificateAuthority') {
          print(x509ConnectionString(connection, command.deviceId));
          return 0;
        }
        print(
          connectionStringOf(connection, command.deviceId, device.authentication?.symmetricKey?.primaryKey),
        );
        return 0;
      }
      case 'remove':
        await registry.delete(command.deviceId);
        print(`removed ${command.deviceId}`);
        return 0;
    }
  } catch (err) {
    throw asCliError(err, command);
  } finally {
    await close();
  }
}

function connectionStringOf(
  connection: { hostName: string; mqttPort: number },
  deviceId: string,
  key: string | undefined,
): string {
  if (!key)
    throw new CliError(`device ${deviceId} has no symmetric key`, { exitCode: EXIT_DEVICE, code: 'no-key' });
  return formatDeviceConnectionString({
    hostName: connection.hostName,
    deviceId,
    key,
    mqttPort: connection.mqttPort,
  });
}

function asCliError(err: unknown, command: DeviceAction): CliError {
  if (err instanceof CliError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  const id = 'deviceId' in command ? command.deviceId : '';
  if (e.name === 'DeviceNotFoundError') {
    return new CliError(`device ${id} does not exist`, {
      exitCode: EXIT_DEVICE,
      code: 'device-not-found',
      cause: err,
    });
  }
  if (e.name === 'DeviceAlreadyExistsError') {
    return new CliError(`device ${id} already exists (show it with "local-hub device show ${id}")`, {
      exitCode: EXIT_DEVICE,
      code: 'device-exists',
      cause: err,
    });
  }
  if (e.name === 'ArgumentError') {
    return new CliError(`the hub rejected the request: ${e.message ?? 'invalid argument'}`, {
      exitCode: 2,
      code: 'invalid',
      cause: err,
    });
  }
  if (e.code === 'ECONNREFUSED') return hubNotRunning(err);
  return new CliError(`the hub call failed: ${e.message ?? String(err)}`, {
    exitCode: 1,
    code: 'failed',
    cause: err,
  });
}
