import { z } from 'zod';
import { HubError } from '../../errors';
import { toCertificateDocument } from '../../x509/ca-certificates';
import { header, type RestContext, type RestRequest, type RestResponse } from './context';
import { parseBody } from './validation';

// The resource provider's CertificateDescription / CertificateVerificationDescription bodies.
const uploadBody = z.looseObject({
  properties: z.looseObject({ certificate: z.string().min(1), isVerified: z.boolean().nullish() }),
});
const verifyBody = z.looseObject({ certificate: z.string().min(1) });

/** GET /certificates: `{ value: [CertificateDescription…] }`, as Certificates - List By IoT Hub answers. */
export function listCertificates(ctx: RestContext): RestResponse {
  const { certificates } = ctx;
  return {
    status: 200,
    body: { value: certificates.list().map((r) => toCertificateDocument(r, certificates.hostName)) },
  };
}

export function getCertificate(ctx: RestContext, request: RestRequest<'certificateName'>): RestResponse {
  const record = ctx.certificates.require(request.params.certificateName);
  return { status: 200, body: toCertificateDocument(record, ctx.certificates.hostName) };
}

/** PUT /certificates/{name}: 201 for a new name, 200 for a replacement (which needs If-Match). */
export async function putCertificate(
  ctx: RestContext,
  request: RestRequest<'certificateName'>,
): Promise<RestResponse> {
  const { properties } = parseBody(uploadBody, request.body);
  const { record, created } = await ctx.certificates.upload(
    request.params.certificateName,
    { certificate: properties.certificate, isVerified: properties.isVerified === true },
    header(request, 'if-match'),
  );
  return { status: created ? 201 : 200, body: toCertificateDocument(record, ctx.certificates.hostName) };
}

/** DELETE /certificates/{name}: If-Match is required, as the resource provider requires it. */
export async function deleteCertificate(
  ctx: RestContext,
  request: RestRequest<'certificateName'>,
): Promise<RestResponse> {
  await ctx.certificates.remove(request.params.certificateName, requireIfMatch(request));
  return { status: 204 };
}

/** POST /certificates/{name}/generateVerificationCode: a CertificateWithNonceDescription. */
export async function generateVerificationCode(
  ctx: RestContext,
  request: RestRequest<'certificateName'>,
): Promise<RestResponse> {
  const record = await ctx.certificates.generateVerificationCode(
    request.params.certificateName,
    requireIfMatch(request),
  );
  return {
    status: 200,
    body: toCertificateDocument(record, ctx.certificates.hostName, { withVerificationCode: true }),
  };
}

/** POST /certificates/{name}/verify: body `{ certificate }`, the CA-signed certificate whose CN is the code. */
export async function verifyCertificate(
  ctx: RestContext,
  request: RestRequest<'certificateName'>,
): Promise<RestResponse> {
  const { certificate } = parseBody(verifyBody, request.body);
  const record = await ctx.certificates.verify(
    request.params.certificateName,
    certificate,
    requireIfMatch(request),
  );
  return { status: 200, body: toCertificateDocument(record, ctx.certificates.hostName) };
}

function requireIfMatch(request: RestRequest<'certificateName'>): string {
  const ifMatch = header(request, 'if-match');
  if (ifMatch === undefined || ifMatch.trim() === '') {
    throw new HubError('ArgumentInvalid', "This operation needs the certificate's etag in If-Match.");
  }
  return ifMatch;
}
