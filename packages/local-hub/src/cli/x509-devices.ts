import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CliError } from '@iothub-reboot/app-kit';
import type { DeviceX509 } from './options';

/** The registry `authentication` of an X.509 device: a certificate file's SHA-1 thumbprint, or by CA. */
export async function x509Authentication(x509: DeviceX509): Promise<Record<string, unknown>> {
  if (x509.type === 'certificateAuthority') return { type: 'certificateAuthority' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(x509.certFile));
  } catch (err) {
    throw new CliError(`${x509.certFile} is not a readable PEM certificate`, {
      exitCode: 2,
      code: 'invalid',
      cause: err,
    });
  }
  return {
    type: 'selfSigned',
    x509Thumbprint: { primaryThumbprint: cert.fingerprint.replace(/:/g, ''), secondaryThumbprint: null },
  };
}

/**
 * `HostName=…;DeviceId=…;x509=true`. azure-iot-device ignores GatewayHostName in such a string (it dials
 * HostName:8883), so off port 8883 the string keeps it for other SDKs and says so.
 */
export function x509ConnectionString(
  connection: { hostName: string; mqttPort: number },
  deviceId: string,
): string {
  const base = `HostName=${connection.hostName};DeviceId=${deviceId};x509=true`;
  return connection.mqttPort === 8883 ? base : `${base};GatewayHostName=127.0.0.1:${connection.mqttPort}`;
}
