import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomically } from './files';

/** `<dataDir>/connection.json`: how scripts, CI and the CLI find a running hub. */
export interface ConnectionFile {
  hostName: string;
  mqttPort: number;
  httpsPort: number;
  /** The `iothubowner` connection string (GatewayHostName points at the HTTPS port). */
  serviceConnectionString: string;
  /** The CA file clients must trust. */
  caFile: string;
}

const schema = z.looseObject({
  hostName: z.string().min(1),
  mqttPort: z.number().int().min(1).max(65_535),
  httpsPort: z.number().int().min(1).max(65_535),
  serviceConnectionString: z.string().min(1),
  caFile: z.string().min(1),
});

export const CONNECTION_FILE_NAME = 'connection.json';

/** Thrown when connection.json is missing or not what a hub writes; the message holds no secret. */
export class ConnectionFileError extends Error {
  override readonly name = 'ConnectionFileError';
}

export async function writeConnectionFile(dataDir: string, content: ConnectionFile): Promise<string> {
  const path = join(dataDir, CONNECTION_FILE_NAME);
  // It holds the owner key: readable by its user only; written atomically so readers never see half of it.
  await writeFileAtomically(path, `${JSON.stringify(content, null, 2)}\n`, 0o600);
  return path;
}

/** Reads and validates `<dataDir>/connection.json`. Throws ConnectionFileError. */
export async function readConnectionFile(dataDir: string): Promise<ConnectionFile> {
  const path = join(dataDir, CONNECTION_FILE_NAME);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConnectionFileError(
      code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path} (${code})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConnectionFileError(`${path} is not valid JSON`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new ConnectionFileError(`${path} is not a local hub connection file`);
  return result.data;
}
