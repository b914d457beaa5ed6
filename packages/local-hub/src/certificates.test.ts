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
});
