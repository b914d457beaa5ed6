import { HubError } from '../errors';
import { IDENTITY_KINDS } from '../features';
import { isThumbprint } from './thumbprint';

/**
 * How an X.509 device authenticates, as IoT Hub stores it: `selfSigned` by the thumbprint of its own
 * certificate (primary, optional secondary), `certificateAuthority` by a chain to a verified CA
 * certificate, with neither keys nor thumbprints.
 */
export type X509Authentication =
  | { type: 'selfSigned'; primaryThumbprint: string; secondaryThumbprint: string | null }
  | { type: 'certificateAuthority' };

/** The `authentication` of a device document, as a request may send it. */
export interface AuthenticationBody {
  type?: string | null | undefined;
  symmetricKey?:
    | { primaryKey?: string | null | undefined; secondaryKey?: string | null | undefined }
    | null
    | undefined;
  x509Thumbprint?:
    | { primaryThumbprint?: string | null | undefined; secondaryThumbprint?: string | null | undefined }
    | null
    | undefined;
}

/**
 * What a request's `authentication` asks for: `keep` (no type: the device's current kind, as the SDK's
 * bulk updates send it), `sas` with optional keys, or an X.509 kind. Empty strings count as absent,
 * as azure-iothub sends them. Anything IoT Hub would refuse is 400 ArgumentInvalid.
 */
export type AuthenticationRequest =
  | { kind: 'keep'; primaryKey?: string; secondaryKey?: string }
  | { kind: 'sas'; primaryKey?: string; secondaryKey?: string }
  | { kind: 'x509'; x509: X509Authentication };

export function parseAuthentication(body: AuthenticationBody | null | undefined): AuthenticationRequest {
  const type = body?.type ?? undefined;
  const primaryKey = present(body?.symmetricKey?.primaryKey);
  const secondaryKey = present(body?.symmetricKey?.secondaryKey);
  const primaryThumbprint = present(body?.x509Thumbprint?.primaryThumbprint);
  const secondaryThumbprint = present(body?.x509Thumbprint?.secondaryThumbprint);
  const keys = { ...(primaryKey ? { primaryKey } : {}), ...(secondaryKey ? { secondaryKey } : {}) };
  const hasKeys = primaryKey !== undefined || secondaryKey !== undefined;
  const hasThumbprints = primaryThumbprint !== undefined || secondaryThumbprint !== undefined;
  switch (type) {
    case undefined:
    case 'sas':
      if (hasThumbprints)
        throw new HubError('ArgumentInvalid', 'Thumbprints need authentication type "selfSigned".');
      return { kind: type === undefined ? 'keep' : 'sas', ...keys };
    case 'selfSigned':
      if (hasKeys) throw new HubError('ArgumentInvalid', 'A selfSigned device has no symmetric keys.');
      if (primaryThumbprint === undefined)
        throw new HubError('ArgumentInvalid', 'A selfSigned device needs x509Thumbprint.primaryThumbprint.');
      for (const thumbprint of [primaryThumbprint, secondaryThumbprint]) {
        if (thumbprint !== undefined && !isThumbprint(thumbprint)) {
          throw new HubError(
            'ArgumentInvalid',
            'A thumbprint is the hex SHA-1 (40 digits) or SHA-256 (64 digits) of the certificate.',
          );
        }
      }
      return {
        kind: 'x509',
        x509: { type: 'selfSigned', primaryThumbprint, secondaryThumbprint: secondaryThumbprint ?? null },
      };
    case 'certificateAuthority':
      if (hasKeys || hasThumbprints) {
        throw new HubError(
          'ArgumentInvalid',
          'A certificateAuthority device has neither symmetric keys nor thumbprints.',
        );
      }
      return { kind: 'x509', x509: { type: 'certificateAuthority' } };
    default:
      throw new HubError(
        'ArgumentInvalid',
        `Authentication type ${JSON.stringify(type)} is not supported; use ${IDENTITY_KINDS.map((k) => `"${k}"`).join(', ')}.`,
      );
  }
}

/** The registry document's `authentication` for a device of this kind (X.509: keys null). */
export function authenticationDocument(
  x509: X509Authentication | undefined,
  keys: { primaryKey: string; secondaryKey: string },
): Record<string, unknown> {
  if (x509 === undefined) {
    return {
      type: 'sas',
      symmetricKey: { primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey },
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    };
  }
  return {
    type: x509.type,
    symmetricKey: { primaryKey: null, secondaryKey: null },
    x509Thumbprint: thumbprintsOf(x509),
  };
}

/** The `x509Thumbprint` a registry document and a twin show. */
export function thumbprintsOf(x509: X509Authentication | undefined): {
  primaryThumbprint: string | null;
  secondaryThumbprint: string | null;
} {
  return x509?.type === 'selfSigned'
    ? { primaryThumbprint: x509.primaryThumbprint, secondaryThumbprint: x509.secondaryThumbprint }
    : { primaryThumbprint: null, secondaryThumbprint: null };
}

function present(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}
