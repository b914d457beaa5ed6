import type { DeviceRecord } from '../registry/devices';
import { checkClientCertificate, type TrustAnchor } from '../x509/verify';
import { CONNACK_BAD_CREDENTIALS, CONNACK_NOT_AUTHORIZED, type DeviceAuthResult } from './device-auth';

export interface X509AuthInput {
  hostName: string;
  /** MQTT client id, which IoT Hub requires to be the device id. */
  clientId: string;
  username: string | undefined;
  /** The registry entry for clientId: an X.509 device. */
  device: DeviceRecord & { x509: NonNullable<DeviceRecord['x509']> };
  /** The client's certificate chain from the TLS handshake (DER, leaf first); empty when it sent none. */
  chain: readonly Buffer[];
  /** The hub's verified CA certificates. */
  anchors: readonly TrustAnchor[];
  now: Date;
}

/**
 * Decides the CONNECT of an X.509 device as IoT Hub does: the username names this hub and device, and the
 * TLS client certificate passes the hub's own check (see `x509/verify.ts`). A certificate that is missing,
 * wrong, expired or does not chain to a verified CA is CONNACK 5, which the SDK raises as
 * `UnauthorizedError`. The connection lives until the earliest expiry in its chain.
 */
export function authenticateX509Device(input: X509AuthInput): DeviceAuthResult {
  const { hostName, clientId, username, device } = input;
  if (device.status !== 'enabled')
    return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'device disabled' };
  const prefix = `${hostName}/${clientId}`;
  if (username === undefined || (username !== prefix && !username.startsWith(`${prefix}/`))) {
    return {
      ok: false,
      returnCode: CONNACK_BAD_CREDENTIALS,
      reason: 'username does not name this hub and device',
    };
  }
  const check = checkClientCertificate(
    input.chain,
    device.x509.type === 'selfSigned'
      ? {
          kind: 'selfSigned',
          thumbprints: [device.x509.primaryThumbprint, device.x509.secondaryThumbprint].filter(
            (thumbprint): thumbprint is string => thumbprint !== null,
          ),
        }
      : { kind: 'certificateAuthority', deviceId: clientId, anchors: input.anchors },
    input.now,
  );
  if (!check.ok) return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: check.reason };
  return {
    ok: true,
    expiresAtSeconds: Math.floor(check.notAfter.getTime() / 1000),
    deviceKey: undefined,
    x509: { thumbprints: check.thumbprints, anchor: check.anchor },
  };
}

/** What a TLS socket's peer sent: its certificate and the chain behind it, DER, leaf first. */
export function peerCertificateChain(socket: unknown): Buffer[] {
  const tls = socket as { getPeerCertificate?: (detailed: boolean) => PeerCertificate | null };
  if (typeof tls.getPeerCertificate !== 'function') return [];
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: PeerCertificate | null | undefined = tls.getPeerCertificate(true);
  // Node links each certificate to its issuer; a root links to itself.
  while (cert?.raw && chain.length < 16) {
    const key = cert.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}

interface PeerCertificate {
  raw?: Buffer;
  issuerCertificate?: PeerCertificate;
}
