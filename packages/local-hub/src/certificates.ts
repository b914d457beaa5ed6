import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeFileAtomically } from './files';

/** The hub's private CA and the server certificate it signed (PEM). */
export interface HubCertificates {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** Path of the CA file clients trust, when kept on disk. */
  caFile: string | undefined;
}

/**
 * Key type of the server certificate. ECDSA P-256 by default: the server signs every full TLS handshake,
 * and a P-256 signature costs a small fraction of an RSA-2048 one, which is most of what 10,000 devices
 * connecting at once cost the hub. RSA 2048 stays available for clients that cannot do ECDSA.
 */
export type ServerKeyType = 'ec' | 'rsa';

const FILES = { ca: 'ca.pem', caKey: 'ca-key.pem', cert: 'server.pem', key: 'server-key.pem' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Loads the CA and server certificate from `dataDir`, creating them on first start (in memory when
 * `dataDir` is undefined). The server certificate is re-issued by the same CA when it lacks one of
 * `names` (host names or IPs clients dial), is about to expire or has another key type than its CA,
 * so trusted CA files stay valid. A new CA and its server certificate get `keyType`; a CA already on
 * disk keeps its key type, and so does the server certificate it signs (the certificate library signs
 * only with a CA key of the leaf's own type): delete the data directory's certificates to change it.
 */
export async function loadOrCreateCertificates(
  dataDir: string | undefined,
  names: readonly string[],
  now: Date = new Date(),
  keyType: ServerKeyType = 'ec',
): Promise<HubCertificates> {
  const sans = [...new Set(['localhost', '127.0.0.1', ...names])];
  if (dataDir === undefined) {
    const ca = await createCa(now, keyType);
    return { caPem: ca.cert, ...(await createServerCert(ca, sans, now, keyType)), caFile: undefined };
  }
  await mkdir(dataDir, { recursive: true });
  const path = (name: string) => join(dataDir, name);
  let ca = await readPair(path(FILES.ca), path(FILES.caKey));
  let server = await readPair(path(FILES.cert), path(FILES.key));
  if (!ca || !isValidAt(ca.cert, now)) {
    ca = await createCa(now, keyType);
    await writeFileAtomically(path(FILES.caKey), ca.key, 0o600);
    await writeFileAtomically(path(FILES.ca), ca.cert, 0o644);
    server = undefined;
  }
  if (
    !server ||
    !isValidAt(server.cert, new Date(now.getTime() + 30 * DAY_MS)) ||
    !coversAll(server.cert, sans) ||
    keyTypeOf(server.cert) !== keyTypeOf(ca.cert)
  ) {
    const issued = await createServerCert(ca, sans, now, keyTypeOf(ca.cert));
    server = { cert: issued.serverCertPem, key: issued.serverKeyPem };
    await writeFileAtomically(path(FILES.key), server.key, 0o600);
    await writeFileAtomically(path(FILES.cert), server.cert, 0o644);
  }
  return { caPem: ca.cert, serverCertPem: server.cert, serverKeyPem: server.key, caFile: path(FILES.ca) };
}

interface Pair {
  cert: string;
  key: string;
}

function keyOptions(keyType: ServerKeyType) {
  return keyType === 'ec' ? { keyType: 'ec' as const, curve: 'P-256' as const } : { keySize: 2048 };
}

async function createCa(now: Date, keyType: ServerKeyType): Promise<Pair> {
  const ca = await generate([{ name: 'commonName', value: 'IoT Hub reboot toolkit local hub CA' }], {
    ...keyOptions(keyType),
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    notAfterDate: new Date(now.getTime() + 10 * 365 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: ca.cert, key: ca.private };
}

async function createServerCert(ca: Pair, sans: readonly string[], now: Date, keyType: ServerKeyType) {
  const leaf = await generate([{ name: 'commonName', value: sans[0] ?? 'localhost' }], {
    ...keyOptions(keyType),
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    notAfterDate: new Date(now.getTime() + 2 * 365 * DAY_MS),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: 'basicConstraints', cA: false },
      // keyEncipherment is for RSA key transport only (RFC 5480 §3 forbids it with an EC key).
      keyType === 'ec'
        ? { name: 'keyUsage', digitalSignature: true, critical: true }
        : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: sans.map((name) =>
          isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
        ),
      },
    ],
  });
  return { serverCertPem: leaf.cert, serverKeyPem: leaf.private };
}

async function readPair(certPath: string, keyPath: string): Promise<Pair | undefined> {
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isValidAt(pem: string, when: Date): boolean {
  const cert = new X509Certificate(pem);
  return new Date(cert.validTo).getTime() > when.getTime();
}

function keyTypeOf(pem: string): ServerKeyType {
  return new X509Certificate(pem).publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa';
}

function coversAll(pem: string, sans: readonly string[]): boolean {
  const listed = (new X509Certificate(pem).subjectAltName ?? '').split(', ');
  return sans.every((name) => listed.includes(isIP(name) ? `IP Address:${name}` : `DNS:${name}`));
}
