import { X509Certificate } from 'node:crypto';
import { expiredValidity } from '../test-support/x509';
import { type IssuedCa, issueCaCertificate, issueDeviceCertificate } from './issue';
import { type ClientCertificateCheck, checkClientCertificate } from './verify';

/** The DER chain a TLS client would present for `pem` (its certificate, then the intermediates). */
function chainOf(pem: string): Buffer[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block).raw,
  );
}

const reasonOf = (check: ClientCertificateCheck) => (check.ok ? 'accepted' : check.reason);
const NOW = () => new Date();

describe('checkClientCertificate: selfSigned', () => {
  it('accepts the registered SHA-1 or SHA-256 thumbprint in any case, refuses another', async () => {
    const cert = await issueDeviceCertificate('d1');
    const check = (thumbprints: string[]) =>
      checkClientCertificate(chainOf(cert.cert), { kind: 'selfSigned', thumbprints }, NOW());
    expect(check([cert.thumbprint])).toMatchObject({ ok: true, anchor: undefined });
    expect(check(['0'.repeat(40), cert.thumbprint256.toLowerCase()]).ok).toBe(true);
    expect(reasonOf(check(['0'.repeat(40)]))).toMatch(/thumbprint matches neither/);
    expect(reasonOf(check([]))).toMatch(/thumbprint/);
  });

  it('refuses expired and not-yet-valid certificates, CA certificates and ones without digitalSignature', async () => {
    const expired = await issueDeviceCertificate('d1', expiredValidity());
    const future = await issueDeviceCertificate('d1', {
      notBefore: new Date(Date.now() + 86_400_000),
      notAfter: new Date(Date.now() + 2 * 86_400_000),
    });
    const ca = await issueCaCertificate('a CA');
    const encipherOnly = await issueDeviceCertificate('d1', { keyUsage: 4 });
    const check = (c: { cert: string; thumbprint: string }) =>
      reasonOf(
        checkClientCertificate(chainOf(c.cert), { kind: 'selfSigned', thumbprints: [c.thumbprint] }, NOW()),
      );
    expect(check(expired)).toMatch(/expired/);
    expect(check(future)).toMatch(/not valid yet/);
    expect(check(ca)).toMatch(/CA certificate cannot authenticate/);
    expect(check(encipherOnly)).toMatch(/digital signatures/);
  });

  it('refuses a missing or unparsable certificate', () => {
    expect(
      reasonOf(checkClientCertificate([], { kind: 'selfSigned', thumbprints: ['0'.repeat(40)] }, NOW())),
    ).toMatch(/no client certificate/);
    expect(
      reasonOf(checkClientCertificate([Buffer.from('junk')], { kind: 'selfSigned', thumbprints: [] }, NOW())),
    ).toMatch(/could not be parsed/);
  });
});

describe('checkClientCertificate: certificateAuthority', () => {
  let root: IssuedCa;
  beforeAll(async () => {
    root = await issueCaCertificate('root');
  });
  const rule = (deviceId: string, ...anchors: IssuedCa[]) => ({
    kind: 'certificateAuthority' as const,
    deviceId,
    anchors: anchors.map((a, i) => ({ name: `ca-${i}`, pem: a.cert })),
  });

  it('accepts a chain to a trust anchor, directly or through a presented intermediate, until the earliest expiry', async () => {
    const direct = await issueDeviceCertificate('d1', { issuer: root });
    expect(checkClientCertificate(chainOf(direct.cert), rule('d1', root), NOW())).toMatchObject({
      ok: true,
      anchor: 'ca-0',
    });
    const shortLived = await issueCaCertificate('intermediate', {
      issuer: root,
      notAfter: new Date(Date.now() + 3_600_000),
    });
    const leaf = await issueDeviceCertificate('d1', { issuer: shortLived });
    const check = checkClientCertificate(chainOf(leaf.cert), rule('d1', root), NOW());
    expect(check.ok && check.notAfter.getTime()).toBe(
      new Date(new X509Certificate(shortLived.cert).validTo).getTime(),
    );
    // Without its intermediate the chain does not reach the root.
    expect(reasonOf(checkClientCertificate(chainOf(leaf.cert).slice(0, 1), rule('d1', root), NOW()))).toMatch(
      /does not lead to a verified CA/,
    );
  });

  it('refuses another CA, a CN that is not the device id, an expired anchor and a non-CA issuer', async () => {
    const stranger = await issueCaCertificate('stranger');
    const leaf = await issueDeviceCertificate('d1', { issuer: stranger });
    expect(reasonOf(checkClientCertificate(chainOf(leaf.cert), rule('d1', root), NOW()))).toMatch(
      /does not lead/,
    );
    expect(reasonOf(checkClientCertificate(chainOf(leaf.cert), rule('d2', stranger), NOW()))).toMatch(
      /CN is not/,
    );

    const oldRoot = await issueCaCertificate('old root', expiredValidity());
    const young = await issueDeviceCertificate('d1', { issuer: oldRoot });
    expect(reasonOf(checkClientCertificate(chainOf(young.cert), rule('d1', oldRoot), NOW()))).toMatch(
      /expired/,
    );

    // A leaf cannot sign: OpenSSL's issuer check (X509_check_issued, behind checkIssued) already rejects an
    // issuer whose key usage lacks keyCertSign, so the chain stops there.
    const notCa = await issueDeviceCertificate('not a CA', { issuer: root });
    const forged = await issueDeviceCertificate('d1', { issuer: { ...notCa, subject: 'CN=not a CA' } });
    expect(chainOf(forged.cert)).toHaveLength(2);
    expect(reasonOf(checkClientCertificate(chainOf(forged.cert), rule('d1', root), NOW()))).toMatch(
      /does not lead to a verified CA/,
    );
  });

  it('refuses the anchor presented as the device certificate', () => {
    expect(reasonOf(checkClientCertificate(chainOf(root.cert), rule('root', root), NOW()))).toMatch(
      /CA certificate cannot authenticate/,
    );
  });
});
