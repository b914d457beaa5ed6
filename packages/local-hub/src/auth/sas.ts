import { createHmac, timingSafeEqual } from 'node:crypto';

/** A parsed `SharedAccessSignature sr=…&sig=…&se=…[&skn=…]` token. Values are kept as they appear. */
export interface SasToken {
  /** Resource as it appears in the token (URL-encoded for devices); it is also what was signed. */
  sr: string;
  /** URL-decoded base64 signature. */
  sig: string;
  /** Expiry, seconds since the epoch. */
  se: number;
  /** Policy name (decoded), when a shared access policy key signed the token. */
  skn?: string;
}

/** Why a token was refused; never contains the token or the key. */
export class SasError extends Error {
  override readonly name = 'SasError';
  constructor(
    readonly reason: 'malformed' | 'expired' | 'wrong-resource' | 'bad-signature',
    message: string,
  ) {
    super(message);
  }
}

const PREFIX = 'SharedAccessSignature ';

/** Parses a SAS token string. Throws SasError('malformed'). */
export function parseSasToken(text: string): SasToken {
  if (typeof text !== 'string' || !text.startsWith(PREFIX)) {
    throw new SasError('malformed', 'The token does not start with "SharedAccessSignature "');
  }
  const fields = new Map<string, string>();
  for (const part of text.slice(PREFIX.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SasError('malformed', 'The token has a field without "name=value"');
    const name = part.slice(0, eq);
    if (fields.has(name)) throw new SasError('malformed', `The token repeats "${name}"`);
    fields.set(name, part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (!sr || !sig || !se) throw new SasError('malformed', 'The token needs sr, sig and se');
  if (!/^\d{1,12}$/.test(se)) throw new SasError('malformed', 'The token expiry "se" is not a number');
  const skn = fields.get('skn');
  return {
    sr,
    sig: safeDecode(sig),
    se: Number(se),
    ...(skn === undefined ? {} : { skn: safeDecode(skn) }),
  };
}

/** base64(HMAC-SHA256(base64decode(key), "<sr>\n<se>")): IoT Hub's SAS signature. */
export function signSas(key: string, sr: string, se: number): string {
  return createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest('base64');
}

/** Builds a token the way the Azure SDKs do: `sr` URL-encoded, signature over the encoded `sr`. */
export function createSasToken(resource: string, key: string, expiry: number, keyName?: string): string {
  const sr = encodeURIComponent(resource);
  const sig = encodeURIComponent(signSas(key, sr, expiry));
  return `${PREFIX}sr=${sr}&sig=${sig}&se=${expiry}${keyName ? `&skn=${encodeURIComponent(keyName)}` : ''}`;
}

/**
 * Checks a token against the expected resource and candidate keys (a device's primary and secondary key,
 * or a policy's keys). `sr` must name exactly `resource` (compared decoded, since the SDKs encode it for
 * devices and not for services); expiry is checked against `nowSeconds`. Throws SasError.
 */
export function verifySasToken(
  token: SasToken,
  expected: { resource: string; keys: readonly string[]; nowSeconds: number },
): string {
  if (safeDecode(token.sr) !== expected.resource) {
    throw new SasError('wrong-resource', 'The token was issued for another resource');
  }
  if (token.se <= expected.nowSeconds) throw new SasError('expired', 'The token has expired');
  const given = Buffer.from(token.sig, 'base64');
  const matching = expected.keys.find((key) => {
    const wanted = Buffer.from(signSas(key, token.sr, token.se), 'base64');
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  });
  if (matching === undefined) throw new SasError('bad-signature', 'The token signature is not valid');
  return matching;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new SasError('malformed', 'The token has an invalid percent-encoding');
  }
}
