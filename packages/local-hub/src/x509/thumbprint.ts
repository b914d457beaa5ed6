import type { X509Certificate } from 'node:crypto';

/**
 * IoT Hub takes a self-signed device's thumbprints as hex: 40 digits (SHA-1) or 64 (SHA-256)
 * ("Authenticate identities with X.509 certificates": "both SHA-1 and SHA-256 thumbprints are supported").
 */
export function isThumbprint(value: string): boolean {
  return /^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(value);
}

/** `registered` (either hash, any case) is this certificate's thumbprint. */
export function thumbprintMatches(registered: string, cert: X509Certificate): boolean {
  const wanted = registered.toUpperCase();
  const actual = wanted.length === 40 ? cert.fingerprint : cert.fingerprint256;
  return actual.replace(/:/g, '') === wanted;
}
