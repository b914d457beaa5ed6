import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The device identity kinds the registry accepts (`authentication.type`): SAS keys, and X.509 by thumbprint
 * or by a verified CA certificate. Module identities are SAS only (see `rest/handlers/modules.ts`).
 */
export const IDENTITY_KINDS = ['sas', 'selfSigned', 'certificateAuthority'] as const;

/**
 * What this hub speaks, as `GET /health` reports it: a script can check a feature before it relies on it.
 * Devices connect with MQTT 3.1.1 over TLS, or over WebSockets on the HTTPS port (no AMQP); services call
 * the REST API over HTTPS.
 */
export const HUB_FEATURES = {
  transports: { device: ['mqtt-tls', 'mqtt-ws'], service: ['https'] },
  identityKinds: IDENTITY_KINDS,
} as const;

let version: string | undefined;

/** The package's version, read once from its package.json (one level above `src/` and `dist/`). */
export function hubVersion(): string {
  version ??= (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
    .version;
  return version;
}
