import type { LocalHub } from '../hub';
import {
  type IssuedCa,
  type IssuedCertificate,
  issueCaCertificate,
  issueDeviceCertificate,
  issueVerificationCertificate,
} from '../x509/issue';
import { type RawResponse, rawRequest } from './rest-client';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Validity that ended yesterday: an expired certificate. */
export function expiredValidity(now = Date.now()): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - 30 * DAY_MS), notAfter: new Date(now - DAY_MS) };
}

/** Fresh certificates for one test: every call makes new keys, so tests share nothing. */
export const certs = {
  /** A root CA. */
  ca: (name = 'test root CA', options: { expired?: boolean } = {}): Promise<IssuedCa> =>
    issueCaCertificate(name, options.expired ? expiredValidity() : {}),
  /** An intermediate CA signed by `issuer`. */
  intermediate: (issuer: IssuedCa, name = 'test intermediate CA'): Promise<IssuedCa> =>
    issueCaCertificate(name, { issuer }),
  /** A device certificate, CN = deviceId, signed by `issuer`. */
  signed: (
    issuer: IssuedCa,
    deviceId: string,
    options: { expired?: boolean; commonName?: string } = {},
  ): Promise<IssuedCertificate> =>
    issueDeviceCertificate(options.commonName ?? deviceId, {
      issuer,
      ...(options.expired ? expiredValidity() : {}),
    }),
  /** A self-signed device certificate, CN = deviceId. */
  selfSigned: (deviceId: string, options: { expired?: boolean } = {}): Promise<IssuedCertificate> =>
    issueDeviceCertificate(deviceId, options.expired ? expiredValidity() : {}),
};

/** The hub's `/certificates` REST API, as an operator drives it (azure-iothub has no client for it). */
export function certificateApi(hub: LocalHub) {
  const path = (name: string, action = '') =>
    `/certificates/${encodeURIComponent(name)}${action}?api-version=2021-04-12`;
  const json = (body: unknown) => JSON.stringify(body);
  return {
    upload: (name: string, pem: string, options: { isVerified?: boolean; ifMatch?: string } = {}) =>
      rawRequest(hub, 'PUT', path(name), {
        body: json({ properties: { certificate: pem, ...(options.isVerified ? { isVerified: true } : {}) } }),
        headers: options.ifMatch ? { 'if-match': options.ifMatch } : {},
      }),
    get: (name: string) => rawRequest(hub, 'GET', path(name)),
    list: () => rawRequest(hub, 'GET', '/certificates?api-version=2021-04-12'),
    remove: (name: string, ifMatch: string) =>
      rawRequest(hub, 'DELETE', path(name), { headers: { 'if-match': ifMatch } }),
    generateVerificationCode: (name: string, ifMatch: string) =>
      rawRequest(hub, 'POST', path(name, '/generateVerificationCode'), { headers: { 'if-match': ifMatch } }),
    verify: (name: string, pem: string, ifMatch: string) =>
      rawRequest(hub, 'POST', path(name, '/verify'), {
        body: json({ certificate: pem }),
        headers: { 'if-match': ifMatch },
      }),
  };
}

/** Uploads `ca` under `name` and proves possession of its key, as IoT Hub's portal flow does. */
export async function uploadVerifiedCa(hub: LocalHub, name: string, ca: IssuedCa): Promise<RawResponse> {
  const api = certificateApi(hub);
  const uploaded = await api.upload(name, ca.cert);
  if (uploaded.status !== 201) throw new Error(`upload failed: ${uploaded.status} ${uploaded.text}`);
  const coded = await api.generateVerificationCode(name, etagOf(uploaded));
  const code = (coded.json as { properties: { verificationCode: string } }).properties.verificationCode;
  const verified = await api.verify(name, await issueVerificationCertificate(ca, code), etagOf(coded));
  if (verified.status !== 200) throw new Error(`verify failed: ${verified.status} ${verified.text}`);
  return verified;
}

export function etagOf(response: RawResponse): string {
  return (response.json as { etag: string }).etag;
}
