import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCertificates } from './certificates';

describe('loadOrCreateCertificates', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-certs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a server certificate for localhost, 127.0.0.1 and the host name, signed by the CA', async () => {
    const certs = await loadOrCreateCertificates(undefined, ['myhub.local']);
    const server = new X509Certificate(certs.serverCertPem);
    const ca = new X509Certificate(certs.caPem);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, DNS:myhub.local');
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.ca).toBe(false);
    expect(ca.ca).toBe(true);
    expect(certs.caFile).toBeUndefined();
  });

  it('reuses the files on disk, and re-issues only the server certificate for a new name', async () => {
    const first = await loadOrCreateCertificates(dir, []);
    expect(first.caFile).toBe(join(dir, 'ca.pem'));
    const again = await loadOrCreateCertificates(dir, []);
    expect(again).toEqual(first);
    const renamed = await loadOrCreateCertificates(dir, ['10.0.0.5']);
    expect(renamed.caPem).toBe(first.caPem);
    expect(renamed.serverCertPem).not.toBe(first.serverCertPem);
    expect(new X509Certificate(renamed.serverCertPem).subjectAltName).toContain('IP Address:10.0.0.5');
  });

  it('gives the CA and the server ECDSA P-256 keys by default, RSA 2048 on request', async () => {
    const ec = await loadOrCreateCertificates(undefined, []);
    const key = new X509Certificate(ec.serverCertPem).publicKey;
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new X509Certificate(ec.caPem).publicKey.asymmetricKeyType).toBe('ec');
    expect(new X509Certificate(ec.serverCertPem).verify(new X509Certificate(ec.caPem).publicKey)).toBe(true);
    const rsa = await loadOrCreateCertificates(undefined, [], new Date(), 'rsa');
    const rsaKey = new X509Certificate(rsa.serverCertPem).publicKey;
    expect(rsaKey.asymmetricKeyType).toBe('rsa');
    expect(rsaKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('keeps a CA on disk, and its key type, when another key type is asked for', async () => {
    const rsa = await loadOrCreateCertificates(dir, [], new Date(), 'rsa');
    const again = await loadOrCreateCertificates(dir, [], new Date(), 'ec');
    expect(again).toEqual(rsa);
  });
});
