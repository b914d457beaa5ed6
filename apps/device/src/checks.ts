import { mkdir, readFile } from 'node:fs/promises';
import { CliError, EXIT_USAGE } from '@iothub-reboot/app-kit';
import { ConnectionString } from 'azure-iot-device';
import type { Logger } from 'pino';

const configError = (message: string, cause?: unknown) =>
  new CliError(message, { exitCode: EXIT_USAGE, code: 'config', cause });

/** Validates a device connection string with the SDK's own parser; returns the device id. */
export function checkDeviceConnectionString(connectionString: string, logger: Logger): string {
  let parsed: { DeviceId?: string; SharedAccessSignature?: string; GatewayHostName?: string };
  try {
    parsed = ConnectionString.parse(connectionString);
  } catch (err) {
    // The SDK's messages name the missing field, never a value.
    throw configError(`the device connection string is malformed: ${(err as Error).message}`, err);
  }
  if (parsed.SharedAccessSignature && parsed.GatewayHostName) {
    // The SDK takes host and device from a ready token and ignores GatewayHostName.
    logger.warn(
      'a connection string with a SharedAccessSignature ignores GatewayHostName; use a SharedAccessKey',
    );
  }
  return parsed.DeviceId ?? '';
}

/**
 * Reads the `--ca` file, and checks NODE_EXTRA_CA_CERTS too: Node only warns about an unreadable one,
 * and TLS would then fail later with a less helpful error.
 */
export async function readCa(caFile: string | undefined): Promise<string | undefined> {
  let ca: string | undefined;
  for (const [file, what] of [
    [caFile, '--ca'],
    [process.env.NODE_EXTRA_CA_CERTS, 'NODE_EXTRA_CA_CERTS'],
  ] as const) {
    if (!file) continue;
    const pem = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw configError(`cannot read the CA file given by ${what} (${file}): ${err.code ?? err.message}`);
    });
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw configError(`the CA file given by ${what} (${file}) holds no PEM certificate`);
    }
    if (file === caFile) ca = pem;
  }
  return ca;
}

/** Creates the directory that keeps pending-reboot records. */
export async function ensureStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw configError(`cannot create the state directory ${stateDir}: ${err.code ?? err.message}`);
  });
}
