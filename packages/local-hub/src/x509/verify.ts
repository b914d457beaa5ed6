import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { thumbprintMatches } from './thumbprint';

/**
 * The hub's own check of a TLS client certificate. The MQTT listener asks for a certificate but lets the
 * handshake through whatever it is (IoT Hub serves SAS devices on the same port), so nothing is trusted
 * until this says so: validity at `now`, key usage and extended key usage of a client certificate, and
 * then either a registered thumbprint (selfSigned) or a signature chain up to a verified CA certificate
 * whose leaf's CN is the device id (certificateAuthority). The TLS handshake itself proved that the client
 * holds the certificate's private key (its CertificateVerify message).
 */
export type ClientCertificateRule =
  | { kind: 'selfSigned'; thumbprints: readonly string[] }
  | { kind: 'certificateAuthority'; deviceId: string; anchors: readonly TrustAnchor[] };

/** A verified CA certificate of the hub. */
export interface TrustAnchor {
  name: string;
  pem: string;
}

export type ClientCertificateCheck =
  | { ok: true; notAfter: Date; thumbprints: readonly string[]; anchor: string | undefined }
  | { ok: false; reason: string };

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';
/** Longest chain followed below a trust anchor: longer ones are refused rather than walked. */
const MAX_DEPTH = 8;

interface Parsed {
  node: X509Certificate;
  ext: x509.X509Certificate;
}

/**
 * Checks `chain` (DER, the leaf first, then whatever intermediates the client sent) against `rule` at
 * `now`. Reasons are for logs: they name no key and no certificate content beyond subjects.
 */
export function checkClientCertificate(
  chain: readonly Buffer[],
  rule: ClientCertificateRule,
  now: Date,
): ClientCertificateCheck {
  const [leafDer, ...rest] = chain;
  if (leafDer === undefined) return refuse('no client certificate was presented');
  let leaf: Parsed;
  let presented: Parsed[];
  try {
    leaf = parse(leafDer);
    presented = rest.map(parse);
  } catch {
    return refuse('the client certificate could not be parsed');
  }
  const leafProblem = problemOfLeaf(leaf, now);
  if (leafProblem) return refuse(leafProblem);
  const thumbprints = [leaf.node.fingerprint, leaf.node.fingerprint256].map((f) => f.replace(/:/g, ''));

  if (rule.kind === 'selfSigned') {
    const matches = rule.thumbprints.some((registered) => thumbprintMatches(registered, leaf.node));
    if (!matches) return refuse('the certificate thumbprint matches neither registered thumbprint');
    return { ok: true, notAfter: new Date(leaf.node.validTo), thumbprints, anchor: undefined };
  }

  // "The device certificate's subject common name (CN) must be set to the device ID" (IoT Hub X.509 CA
  // overview, "Authenticate devices signed with X.509 CA certificates").
  const commonNames = leaf.ext.subjectName.getField('CN');
  if (commonNames.length !== 1 || commonNames[0] !== rule.deviceId)
    return refuse('the certificate subject CN is not the device id');
  let anchors: { name: string; cert: Parsed }[];
  try {
    anchors = rule.anchors.map((anchor) => ({ name: anchor.name, cert: parse(anchor.pem) }));
  } catch {
    return refuse('a CA certificate of the hub could not be parsed');
  }
  let notAfter = new Date(leaf.node.validTo);
  let current = leaf;
  const used = new Set<string>([leaf.node.fingerprint256]);
  for (let intermediates = 0; intermediates <= MAX_DEPTH; intermediates++) {
    const anchor = anchors.find(({ cert }) => issued(current, cert));
    if (anchor) {
      const problem = problemOfCa(anchor.cert, now, intermediates);
      if (problem) return refuse(`the CA certificate ${anchor.name}: ${problem}`);
      notAfter = earlier(notAfter, new Date(anchor.cert.node.validTo));
      return { ok: true, notAfter, thumbprints, anchor: anchor.name };
    }
    const next = presented.find((cert) => !used.has(cert.node.fingerprint256) && issued(current, cert));
    if (!next) return refuse('the certificate chain does not lead to a verified CA certificate');
    const problem = problemOfCa(next, now, intermediates);
    if (problem) return refuse(`an intermediate certificate: ${problem}`);
    used.add(next.node.fingerprint256);
    notAfter = earlier(notAfter, new Date(next.node.validTo));
    current = next;
  }
  return refuse('the certificate chain is too long');
}

function parse(certificate: Buffer | string): Parsed {
  const node = new X509Certificate(certificate);
  return { node, ext: new x509.X509Certificate(node.raw) };
}

function problemOfLeaf(leaf: Parsed, now: Date): string | undefined {
  const validity = problemOfValidity(leaf, now);
  if (validity) return validity;
  if (leaf.ext.getExtension(x509.BasicConstraintsExtension)?.ca === true)
    return 'a CA certificate cannot authenticate a device';
  const keyUsage = leaf.ext.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.digitalSignature) === 0)
    return 'the certificate key usage does not allow digital signatures';
  const extended = leaf.ext.getExtension(x509.ExtendedKeyUsageExtension);
  if (extended && !extended.usages.some((usage) => usage === CLIENT_AUTH || usage === ANY_USAGE))
    return 'the certificate extended key usage does not allow client authentication';
  return undefined;
}

/** `below` is how many intermediates sit between this CA and the leaf (basic constraints' path length). */
function problemOfCa(ca: Parsed, now: Date, below: number): string | undefined {
  const validity = problemOfValidity(ca, now);
  if (validity) return validity;
  const constraints = ca.ext.getExtension(x509.BasicConstraintsExtension);
  if (constraints?.ca !== true) return 'it is not a CA certificate';
  if (constraints.pathLength !== undefined && below > constraints.pathLength)
    return 'its path length constraint is exceeded';
  const keyUsage = ca.ext.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0)
    return 'its key usage does not allow signing certificates';
  return undefined;
}

function problemOfValidity({ node }: Parsed, now: Date): string | undefined {
  if (now.getTime() < new Date(node.validFrom).getTime()) return 'the certificate is not valid yet';
  if (now.getTime() > new Date(node.validTo).getTime()) return 'the certificate has expired';
  return undefined;
}

/** `issuer`'s name and key identifiers fit `child`, and its key verifies `child`'s signature. */
function issued(child: Parsed, issuer: Parsed): boolean {
  try {
    return child.node.checkIssued(issuer.node) && child.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

function earlier(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}

function refuse(reason: string): ClientCertificateCheck {
  return { ok: false, reason };
}
