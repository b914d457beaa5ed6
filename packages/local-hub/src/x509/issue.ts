import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

import * as x509 from '@peculiar/x509';

// @peculiar/x509 signs through WebCrypto; Node's own implementation, not whatever a global may hold.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** A certificate and its private key, PEM (the key as PKCS#8), ready for `setOptions({ cert, key })`. */
export interface IssuedCertificate {
  /** The certificate, followed by the intermediates of its chain when issued by one (what TLS sends). */
  cert: string;
  key: string;
  /** SHA-1 thumbprint, upper-case hex: what IoT Hub shows and accepts. */
  thumbprint: string;
  /** SHA-256 thumbprint, upper-case hex (IoT Hub accepts either). */
  thumbprint256: string;
}

/** A CA that can sign device certificates (and the verification certificate of its proof of possession). */
export interface IssuedCa extends IssuedCertificate {
  subject: string;
}

export interface IssueOptions {
  /** Start of validity; default one hour ago (clock skew). */
  notBefore?: Date;
  /** End of validity; default one year after notBefore. Set it in the past for an expired certificate. */
  notAfter?: Date;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR_MS = 60 * 60 * 1000;
const YEAR_MS = 365 * 24 * HOUR_MS;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * A CA certificate (self-signed when `issuer` is absent, else an intermediate signed by it), as IoT Hub's
 * X.509 CA tutorials make one: CA basic constraint, keyCertSign. ECDSA P-256, which IoT Hub accepts.
 */
export async function issueCaCertificate(
  commonName: string,
  options: IssueOptions & { issuer?: IssuedCa } = {},
): Promise<IssuedCa> {
  const keys = await generateKeys();
  const cert = await sign({
    subject: `CN=${escapeRdn(commonName)}`,
    keys,
    issuer: options.issuer,
    options,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ],
  });
  return { ...(await describe(cert, keys, options.issuer)), subject: cert.subject };
}

/**
 * A device (leaf) certificate with subject `CN=<commonName>`: signed by `issuer`, or self-signed when it is
 * absent. Client-authentication usage, not a CA. `keyUsage` overrides the key usage (to test a refusal).
 */
export async function issueDeviceCertificate(
  commonName: string,
  options: IssueOptions & { issuer?: IssuedCa; keyUsage?: x509.KeyUsageFlags } = {},
): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const cert = await sign({
    subject: `CN=${escapeRdn(commonName)}`,
    keys,
    issuer: options.issuer,
    options,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([CLIENT_AUTH]),
    ],
  });
  return describe(cert, keys, options.issuer);
}

/**
 * The proof-of-possession certificate for a CA: subject CN = the hub's verification code, signed by the CA
 * ("Proof of possession of a CA certificate": upload a leaf whose CN is the code, signed by the CA's key).
 */
export async function issueVerificationCertificate(ca: IssuedCa, verificationCode: string): Promise<string> {
  return firstPem((await issueDeviceCertificate(verificationCode, { issuer: ca })).cert);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

interface SignInput {
  subject: string;
  keys: CryptoKeyPair;
  issuer: IssuedCa | undefined;
  options: IssueOptions;
  extensions: x509.Extension[];
}

async function sign({
  subject,
  keys,
  issuer,
  options,
  extensions,
}: SignInput): Promise<x509.X509Certificate> {
  const notBefore = options.notBefore ?? new Date(Date.now() - HOUR_MS);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + YEAR_MS);
  const subjectKeyId = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const common = {
    // A positive serial (leading byte below 0x80), 16 random bytes: unique per certificate.
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
  };
  if (!issuer) {
    return x509.X509CertificateGenerator.createSelfSigned({
      ...common,
      name: subject,
      keys,
      extensions: [...extensions, subjectKeyId],
    });
  }
  const issuerCert = new x509.X509Certificate(firstPem(issuer.cert));
  const signer = await importSigningKey(issuer.key);
  return x509.X509CertificateGenerator.create({
    ...common,
    signingAlgorithm: signer.algorithm,
    subject,
    issuer: issuerCert.subject,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    extensions: [...extensions, subjectKeyId, await x509.AuthorityKeyIdentifierExtension.create(issuerCert)],
  });
}

async function describe(
  cert: x509.X509Certificate,
  keys: CryptoKeyPair,
  issuer: IssuedCa | undefined,
): Promise<IssuedCertificate> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  // The chain a client sends: this certificate, then its issuer's chain unless the issuer is a root
  // (roots are what the hub holds; sending them is allowed but pointless).
  const issuerChain = issuer && !isSelfIssued(firstPem(issuer.cert)) ? `\n${issuer.cert}` : '';
  return {
    cert: `${cert.toString('pem')}${issuerChain}\n`,
    key: `${key}\n`,
    thumbprint: hex(await cert.getThumbprint('SHA-1')),
    thumbprint256: hex(await cert.getThumbprint('SHA-256')),
  };
}

/** An issuer's key in any PEM form Node reads (PKCS#8, PKCS#1, SEC1): ECDSA P-256 or RSA. */
async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: Algorithm }> {
  const nodeKey = createPrivateKey(pem);
  const der = nodeKey.export({ type: 'pkcs8', format: 'der' });
  const algorithm: Algorithm =
    nodeKey.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : ALGORITHM;
  const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  return { key, algorithm };
}

type Algorithm = webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;

function firstPem(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error('no PEM certificate found');
  return match[0];
}

function isSelfIssued(pem: string): boolean {
  const cert = new x509.X509Certificate(pem);
  return cert.subject === cert.issuer;
}

function hex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** RFC 4514 escaping of a CN value, so a device id with `,` `+` `=` `;` stays one attribute. */
function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;=#])/g, '\\$1').replace(/^ | $/g, '\\ ');
}
