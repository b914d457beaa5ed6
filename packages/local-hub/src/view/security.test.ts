import {
  allowedHosts,
  checkCsrf,
  checkHost,
  checkSession,
  cookieValue,
  newViewSecrets,
  SESSION_COOKIE,
  sameToken,
  sessionCookie,
} from './security';

describe('web view security gates', () => {
  const secrets = newViewSecrets();

  it('makes a fresh, unguessable pair of tokens per start', () => {
    const other = newViewSecrets();
    expect(other.accessToken).not.toBe(secrets.accessToken);
    expect(other.csrfToken).not.toBe(secrets.csrfToken);
    expect(Buffer.from(secrets.accessToken, 'base64url')).toHaveLength(32);
    expect(secrets.csrfToken).not.toBe(secrets.accessToken);
  });

  it('compares tokens exactly', () => {
    expect(sameToken(secrets.accessToken, secrets.accessToken)).toBe(true);
    expect(sameToken(`${secrets.accessToken}x`, secrets.accessToken)).toBe(false);
    expect(sameToken(undefined, secrets.accessToken)).toBe(false);
    expect(sameToken('', secrets.accessToken)).toBe(false);
  });

  it('reads the session cookie among others', () => {
    expect(cookieValue(`a=1; ${SESSION_COOKIE}=tok; b=2`, SESSION_COOKIE)).toBe('tok');
    expect(cookieValue(`x${SESSION_COOKIE}=tok`, SESSION_COOKIE)).toBeUndefined();
    expect(cookieValue(undefined, SESSION_COOKIE)).toBeUndefined();
    expect(sessionCookie('t')).toBe(`${SESSION_COOKIE}=t; HttpOnly; SameSite=Strict; Path=/`);
  });

  it('checks the session', () => {
    expect(() => checkSession(`${SESSION_COOKIE}=${secrets.accessToken}`, secrets)).not.toThrow();
    expect(() => checkSession(`${SESSION_COOKIE}=${secrets.csrfToken}`, secrets)).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => checkSession(undefined, secrets)).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('answers only to its own host and port', () => {
    const hosts = allowedHosts('127.0.0.1', 8088);
    for (const ok of ['127.0.0.1:8088', 'localhost:8088', 'LOCALHOST:8088', '[::1]:8088']) {
      expect(() => checkHost(ok, hosts)).not.toThrow();
    }
    for (const bad of [
      undefined,
      '127.0.0.1',
      '127.0.0.1:8089',
      'evil.example:8088',
      'localhost.evil:8088',
    ]) {
      expect(() => checkHost(bad, hosts)).toThrow(expect.objectContaining({ status: 403 }));
    }
  });

  it('needs the CSRF token, from the same origin, on every state-changing method', () => {
    const host = '127.0.0.1:8088';
    const ok = { csrf: secrets.csrfToken, origin: `http://${host}`, host };
    for (const method of ['GET', 'HEAD']) {
      expect(() => checkCsrf(method, { csrf: undefined, origin: undefined, host }, secrets)).not.toThrow();
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(() => checkCsrf(method, ok, secrets)).not.toThrow();
      expect(() => checkCsrf(method, { ...ok, origin: undefined }, secrets)).not.toThrow();
      expect(() => checkCsrf(method, { ...ok, csrf: undefined }, secrets)).toThrow(/x-csrf-token/);
      expect(() => checkCsrf(method, { ...ok, csrf: secrets.accessToken }, secrets)).toThrow();
      expect(() => checkCsrf(method, { ...ok, origin: 'http://evil.example' }, secrets)).toThrow(
        /Cross-origin/,
      );
    }
  });
});
