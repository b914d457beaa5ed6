import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError } from '@iothub-reboot/app-kit';
import { type ConnectionFile, readConnectionFile } from '../connection-file';

/** Exit code when no hub answers at the data directory's endpoints. */
export const EXIT_NO_HUB = 3;

/**
 * The hub a command talks to: found through `<dataDir>/connection.json` (default `.local-hub`), with the
 * CA its TLS certificate chains to. No connection file is a clear "start one" error, not a stack.
 */
export async function findRunningHub(
  dataDirOption?: string,
): Promise<{ connection: ConnectionFile; ca: string }> {
  const dataDir = resolve(dataDirOption ?? '.local-hub');
  const connection = await readConnectionFile(dataDir).catch((err: unknown) => {
    throw new CliError(
      `no local hub found in ${dataDir} (${(err as Error).message}); start one with "pnpm local-hub"`,
      { exitCode: EXIT_NO_HUB, code: 'no-hub', cause: err },
    );
  });
  const ca = await readFile(connection.caFile ?? join(dataDir, 'ca.pem'), 'utf8');
  return { connection, ca };
}

/** A connection file whose hub does not answer: the hub was stopped (or killed) since. */
export function hubNotRunning(cause: unknown): CliError {
  return new CliError('the local hub is not running (connection refused); start it with "pnpm local-hub"', {
    exitCode: EXIT_NO_HUB,
    code: 'no-hub',
    cause,
  });
}
