import { randomBytes, X509Certificate } from 'node:crypto';
import { HubError } from '../errors';
import { checkEtag } from '../registry/devices';
import type { HubState } from '../state';
import type { TrustAnchor } from './verify';

/** A CA certificate of the hub, as stored. Subject, thumbprint and expiry are read from `pem`. */
export interface CaCertificateRecord {
  name: string;
  pem: string;
  etag: string;
  isVerified: boolean;
  /** ISO 8601. */
  created: string;
  updated: string;
  /** The open proof-of-possession challenge, if one was generated since the last upload or verify. */
  verificationCode?: string;
}

/** Who else must hear of a CA certificate that stops vouching for devices (replaced or deleted). */
export type CaCertificateChanged = (name: string) => void;

// "Certificates - Create Or Update" (IoT Hub resource provider REST API): a certificate name has
// alphanumerics, hyphens, periods and underscores.
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * IoT Hub's CA certificates (the resource provider's `/certificates/{name}`): upload, list, get, delete
 * and the proof of possession (generateVerificationCode, then verify with a certificate whose CN is the
 * code, signed by the CA). Only verified certificates vouch for certificateAuthority devices.
 */
export class CaCertificates {
  constructor(
    private readonly store: HubState,
    /** The hub's name, in each certificate's resource id. */
    readonly hostName: string,
    private readonly changed: CaCertificateChanged,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): CaCertificateRecord[] {
    return this.store.values('certificates').sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The certificate, or 404 CertificateNotFound. */
  require(name: string): CaCertificateRecord {
    const record = this.store.get('certificates', checkName(name));
    if (!record)
      throw new HubError('CertificateNotFound', `Certificate ${JSON.stringify(name)} does not exist.`);
    return record;
  }

  /** The verified certificates: what device chains may end in. */
  anchors(): TrustAnchor[] {
    return this.store
      .values('certificates')
      .filter((record) => record.isVerified)
      .map(({ name, pem }) => ({ name, pem }));
  }

  /**
   * Uploads a certificate (PEM, or base64 DER as the portal's .cer files hold). A new name needs no
   * If-Match; replacing one needs its etag (or `*`), and the replacement starts unverified unless
   * `isVerified` is set ("set certificate status to verified on upload").
   */
  async upload(
    name: string,
    input: { certificate: string; isVerified?: boolean },
    ifMatch: string | undefined,
  ): Promise<{ record: CaCertificateRecord; created: boolean }> {
    checkName(name);
    const pem = toPem(input.certificate);
    const current = this.store.get('certificates', name);
    if (current && ifMatch === undefined) {
      throw new HubError(
        'CertificateAlreadyExists',
        `Certificate ${JSON.stringify(name)} exists; replace it with its etag in If-Match.`,
      );
    }
    if (current && ifMatch !== undefined) checkEtag(current.etag, ifMatch);
    if (!current && ifMatch !== undefined && ifMatch.trim() !== '*') {
      throw new HubError('CertificateNotFound', `Certificate ${JSON.stringify(name)} does not exist.`);
    }
    const now = this.now().toISOString();
    const record: CaCertificateRecord = {
      name,
      pem,
      etag: newEtag(),
      isVerified: input.isVerified === true,
      created: current?.created ?? now,
      updated: now,
    };
    await this.store.put('certificates', name, record);
    if (current) this.changed(name);
    return { record, created: current === undefined };
  }

  /** Deletes with the etag (or `*`) in If-Match; a name that does not exist is already deleted. */
  async remove(name: string, ifMatch: string): Promise<void> {
    const current = this.store.get('certificates', checkName(name));
    if (!current) return;
    checkEtag(current.etag, ifMatch);
    await this.store.delete('certificates', name);
    this.changed(name);
  }

  /** A new proof-of-possession challenge (replacing any earlier one); If-Match is the etag. */
  async generateVerificationCode(name: string, ifMatch: string): Promise<CaCertificateRecord> {
    const current = this.require(name);
    checkEtag(current.etag, ifMatch);
    const record: CaCertificateRecord = {
      ...current,
      etag: newEtag(),
      updated: this.now().toISOString(),
      verificationCode: randomBytes(24).toString('hex').toUpperCase(),
    };
    await this.store.put('certificates', name, record);
    return record;
  }

  /**
   * Completes the proof of possession: `verificationPem` must be valid now, have subject CN = the open
   * verification code, and be signed by this CA's key. Then the certificate is verified.
   */
  async verify(name: string, verificationPem: string, ifMatch: string): Promise<CaCertificateRecord> {
    const current = this.require(name);
    checkEtag(current.etag, ifMatch);
    if (current.verificationCode === undefined) {
      throw new HubError(
        'ArgumentInvalid',
        `Certificate ${JSON.stringify(name)} has no verification code; generate one first.`,
      );
    }
    const proof = new X509Certificate(toPem(verificationPem));
    const ca = new X509Certificate(current.pem);
    const now = this.now().getTime();
    if (now < Date.parse(proof.validFrom) || now > Date.parse(proof.validTo))
      throw new HubError('ArgumentInvalid', 'The verification certificate is not valid at this time.');
    if (commonNameOf(proof) !== current.verificationCode)
      throw new HubError(
        'ArgumentInvalid',
        'The verification certificate subject CN is not the verification code.',
      );
    if (!proof.checkIssued(ca) || !proof.verify(ca.publicKey))
      throw new HubError(
        'ArgumentInvalid',
        'The verification certificate is not signed by this CA certificate.',
      );
    const { verificationCode: _used, ...rest } = current;
    const record: CaCertificateRecord = {
      ...rest,
      etag: newEtag(),
      isVerified: true,
      updated: this.now().toISOString(),
    };
    await this.store.put('certificates', name, record);
    return record;
  }
}

/** The resource provider's CertificateDescription (with `verificationCode` when one is open and asked for). */
export function toCertificateDocument(
  record: CaCertificateRecord,
  hostName: string,
  options: { withVerificationCode?: boolean } = {},
): Record<string, unknown> {
  const cert = new X509Certificate(record.pem);
  return {
    properties: {
      subject: cert.subject.replace(/\n/g, ', '),
      // RFC 1123, as the resource provider writes these three.
      expiry: new Date(cert.validTo).toUTCString(),
      thumbprint: cert.fingerprint.replace(/:/g, ''),
      isVerified: record.isVerified,
      created: new Date(record.created).toUTCString(),
      updated: new Date(record.updated).toUTCString(),
      certificate: record.pem,
      ...(options.withVerificationCode ? { verificationCode: record.verificationCode } : {}),
    },
    id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local-hub/providers/Microsoft.Devices/IotHubs/${hostName}/certificates/${record.name}`,
    name: record.name,
    etag: record.etag,
    type: 'Microsoft.Devices/IotHubs/Certificates',
  };
}

function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new HubError(
      'ArgumentInvalid',
      'A certificate name has 1 to 64 characters: letters, digits, hyphens, periods and underscores.',
    );
  }
  return name;
}

/** One certificate as PEM, from PEM text or base64 DER; anything else is 400. */
function toPem(text: string): string {
  const blocks = text.match(PEM) ?? [];
  if (blocks.length > 1) throw new HubError('ArgumentInvalid', 'Upload one certificate, not a chain.');
  try {
    const cert = blocks[0] !== undefined ? new X509Certificate(blocks[0]) : fromBase64Der(text);
    return cert.toString().trim();
  } catch {
    throw new HubError(
      'ArgumentInvalid',
      'The certificate is neither a PEM nor a base64 DER X.509 certificate.',
    );
  }
}

function fromBase64Der(text: string): X509Certificate {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('not base64');
  return new X509Certificate(Buffer.from(compact, 'base64'));
}

function commonNameOf(cert: X509Certificate): string | undefined {
  const names = cert.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
  return names.length === 1 ? names[0] : undefined;
}

function newEtag(): string {
  return randomBytes(8).toString('base64');
}
