import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError } from '@iothub-reboot/app-kit';
import {
  type IssuedCa,
  issueCaCertificate,
  issueDeviceCertificate,
  issueVerificationCertificate,
} from '../index';
import { type HubResponse, hubErrorText, hubRest } from './hub-rest';
import { findRunningHub, hubNotRunning } from './running-hub';
/** Exit code for a certificate that is missing, already there, or refused by the hub. */
export const EXIT_CERTIFICATE = 4;

export type CertAction =
  | { action: 'ca'; name: string; out?: string }
  | { action: 'device'; deviceId: string; ca?: string; out?: string };

export type CaAction =
  | { action: 'add'; name: string; certFile: string; keyFile?: string; verified: boolean }
  | { action: 'list' }
  | { action: 'remove'; name: string };

/**
 * `local-hub cert …`: test certificates on disk, no hub needed. `cert ca <name>` makes a root CA,
 * `cert device <id> [--ca <name>]` a device certificate (CN = id) signed by that CA, or self-signed.
 * Files go to `--out` (default `<data-dir>/x509`): `<name>.pem` and `<name>.key.pem` (mode 0600).
 */
export async function runCertCommand(
  command: CertAction & { dataDir?: string },
  print: (text: string) => void,
): Promise<number> {
  const out = resolve(command.out ?? join(command.dataDir ?? '.local-hub', 'x509'));
  await mkdir(out, { recursive: true });
  if (command.action === 'ca') {
    const ca = await issueCaCertificate(command.name);
    const files = await writePair(out, command.name, ca);
    print(`CA certificate ${files.cert}\nCA key         ${files.key}\nthumbprint     ${ca.thumbprint}`);
    print(`Trust it: local-hub ca add ${command.name} ${files.cert} --key ${files.key}`);
    return 0;
  }
  const issuer = command.ca === undefined ? undefined : await readCa(out, command.ca);
  const cert = await issueDeviceCertificate(command.deviceId, issuer ? { issuer } : {});
  const files = await writePair(out, command.deviceId, cert);
  print(`device certificate ${files.cert}\ndevice key         ${files.key}`);
  print(`thumbprint         ${cert.thumbprint} (SHA-1)\n                   ${cert.thumbprint256} (SHA-256)`);
  print(
    issuer
      ? `Register it: local-hub device add ${command.deviceId} --x509-ca`
      : `Register it: local-hub device add ${command.deviceId} --x509-cert ${files.cert}`,
  );
  return 0;
}

/**
 * `local-hub ca add|list|remove`: the hub's CA certificates over its `/certificates` REST API. `add` with
 * `--key` proves possession as IoT Hub asks (verification code, then a certificate with that CN signed by
 * the CA's key); with `--verified` it is marked verified on upload; otherwise it stays unverified.
 */
export async function runCaCommand(
  command: CaAction & { dataDir?: string },
  print: (text: string) => void,
): Promise<number> {
  const { connection, ca } = await findRunningHub(command.dataDir);
  const rest = hubRest(connection.serviceConnectionString, ca);
  const call: typeof rest = (...args) =>
    rest(...args).catch((err: unknown) => {
      throw hubNotRunning(err);
    });
  const path = (name: string, action = '') => `/certificates/${encodeURIComponent(name)}${action}`;
  switch (command.action) {
    case 'list': {
      const listed = expectStatus(await call('GET', '/certificates'), [200]);
      const value = (listed.json as { value: CertificateDescription[] }).value;
      if (value.length === 0) print('no CA certificates');
      for (const c of value) {
        print(
          `${c.name}\t${c.properties.isVerified ? 'verified' : 'unverified'}\t${c.properties.thumbprint}\t${c.properties.subject}\texpires ${c.properties.expiry}`,
        );
      }
      return 0;
    }
    case 'remove': {
      const current = expectStatus(await call('GET', path(command.name)), [200]);
      expectStatus(await call('DELETE', path(command.name), { ifMatch: etag(current) }), [200, 204]);
      print(`removed ${command.name}`);
      return 0;
    }
    case 'add': {
      const pem = await readText(command.certFile, 'certificate');
      const keyPem = command.keyFile === undefined ? undefined : await readText(command.keyFile, 'key');
      let latest = expectStatus(
        await call('PUT', path(command.name), {
          body: { properties: { certificate: pem, ...(command.verified ? { isVerified: true } : {}) } },
        }),
        [200, 201],
      );
      if (keyPem !== undefined && !command.verified) {
        const coded = expectStatus(
          await call('POST', path(command.name, '/generateVerificationCode'), { ifMatch: etag(latest) }),
          [200],
        );
        const code = (coded.json as CertificateDescription).properties.verificationCode ?? '';
        const proof = await issueVerificationCertificate({ ...caFromFiles(pem, keyPem) }, code);
        latest = expectStatus(
          await call('POST', path(command.name, '/verify'), {
            body: { certificate: proof },
            ifMatch: etag(coded),
          }),
          [200],
        );
      }
      const { properties } = latest.json as CertificateDescription;
      print(
        `${command.name}\t${properties.isVerified ? 'verified' : 'unverified'}\t${properties.thumbprint}`,
      );
      if (!properties.isVerified)
        print('Not verified: add it again with --key <ca key file> to prove possession.');
      return 0;
    }
  }
}

interface CertificateDescription {
  name: string;
  etag: string;
  properties: {
    subject: string;
    thumbprint: string;
    isVerified: boolean;
    expiry: string;
    verificationCode?: string;
  };
}

function expectStatus(response: HubResponse, ok: number[]): HubResponse {
  if (ok.includes(response.status)) return response;
  throw new CliError(`the hub refused: ${hubErrorText(response)}`, {
    exitCode: response.status === 400 || response.status === 401 ? 2 : EXIT_CERTIFICATE,
    code: 'refused',
  });
}

function etag(response: HubResponse): string {
  return (response.json as { etag: string }).etag;
}

async function writePair(out: string, name: string, issued: { cert: string; key: string }) {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new CliError(`"${name}" cannot name a file: use letters, digits, ".", "_" and "-"`, {
      exitCode: 2,
      code: 'invalid',
    });
  }
  const files = { cert: join(out, `${name}.pem`), key: join(out, `${name}.key.pem`) };
  await writeFile(files.cert, issued.cert, { mode: 0o644 });
  await writeFile(files.key, issued.key, { mode: 0o600 });
  return files;
}

async function readCa(out: string, name: string): Promise<IssuedCa> {
  const cert = await readText(join(out, `${name}.pem`), 'CA certificate');
  const key = await readText(join(out, `${name}.key.pem`), 'CA key');
  return caFromFiles(cert, key);
}

function caFromFiles(cert: string, key: string): IssuedCa {
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch {
    throw new CliError('the CA file holds no PEM certificate', { exitCode: 2, code: 'invalid' });
  }
  return {
    cert,
    key,
    subject: parsed.subject,
    thumbprint: parsed.fingerprint.replace(/:/g, ''),
    thumbprint256: parsed.fingerprint256.replace(/:/g, ''),
  };
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        exitCode: EXIT_CERTIFICATE,
        code: 'no-file',
        cause: err,
      },
    );
  }
}
