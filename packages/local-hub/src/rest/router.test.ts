import { matchRoute } from './router';

// Each case names the table row by its path template, and the decoded parameters it captures.
describe('matchRoute', () => {
  it.each([
    ['GET', '/health', '/health', {}],
    ['GET', '/devices', '/devices', {}],
    ['POST', '/devices', '/devices', {}],
    ['POST', '/devices/query', '/devices/query', {}],
    ['PUT', '/devices/a%23b', '/devices/{deviceId}', { deviceId: 'a#b' }],
    ['GET', '/devices/d', '/devices/{deviceId}', { deviceId: 'd' }],
    ['DELETE', '/devices/d', '/devices/{deviceId}', { deviceId: 'd' }],
    ['GET', '/twins/d', '/twins/{deviceId}', { deviceId: 'd' }],
    ['PATCH', '/twins/d', '/twins/{deviceId}', { deviceId: 'd' }],
    ['PUT', '/twins/d', '/twins/{deviceId}', { deviceId: 'd' }],
    ['POST', '/twins/d/methods', '/twins/{deviceId}/methods', { deviceId: 'd' }],
    ['GET', '/devices/d/modules', '/devices/{deviceId}/modules', { deviceId: 'd' }],
    [
      'PUT',
      '/devices/d/modules/m%24',
      '/devices/{deviceId}/modules/{moduleId}',
      { deviceId: 'd', moduleId: 'm$' },
    ],
    [
      'GET',
      '/devices/d/modules/m',
      '/devices/{deviceId}/modules/{moduleId}',
      { deviceId: 'd', moduleId: 'm' },
    ],
    [
      'DELETE',
      '/devices/d/modules/m',
      '/devices/{deviceId}/modules/{moduleId}',
      { deviceId: 'd', moduleId: 'm' },
    ],
    ['GET', '/twins/d/modules/m', '/twins/{deviceId}/modules/{moduleId}', { deviceId: 'd', moduleId: 'm' }],
    ['PATCH', '/twins/d/modules/m', '/twins/{deviceId}/modules/{moduleId}', { deviceId: 'd', moduleId: 'm' }],
    ['PUT', '/twins/d/modules/m', '/twins/{deviceId}/modules/{moduleId}', { deviceId: 'd', moduleId: 'm' }],
    [
      'POST',
      '/twins/d/modules/m/methods',
      '/twins/{deviceId}/modules/{moduleId}/methods',
      { deviceId: 'd', moduleId: 'm' },
    ],
  ])('%s %s → %s', (method, path, template, params) => {
    expect(matchRoute(method, path)).toMatchObject({ kind: 'route', route: { method, path: template } });
    expect(matchRoute(method, path)).toMatchObject({ params });
  });

  it.each([
    ['PUT', '/jobs/v2/j%231', '/jobs/v2/{jobId}', { jobId: 'j#1' }],
    ['GET', '/jobs/v2/j1', '/jobs/v2/{jobId}', { jobId: 'j1' }],
    ['POST', '/jobs/v2/j1/cancel', '/jobs/v2/{jobId}/cancel', { jobId: 'j1' }],
    ['GET', '/jobs/v2/query', '/jobs/v2/query', {}],
  ])('%s %s → %s with %o', (method, path, template, params) => {
    const match = matchRoute(method, path);
    expect(match).toMatchObject({ kind: 'route', route: { method, path: template } });
    expect(match.kind === 'route' && match.params).toEqual(params);
    expect(match).toMatchObject({ route: { permissions: ['ServiceConnect'] } });
  });

  it.each([
    ['GET', '/certificates', '/certificates', {}, 'RegistryRead'],
    [
      'PUT',
      '/certificates/root-1',
      '/certificates/{certificateName}',
      { certificateName: 'root-1' },
      'RegistryWrite',
    ],
    [
      'GET',
      '/certificates/root-1',
      '/certificates/{certificateName}',
      { certificateName: 'root-1' },
      'RegistryRead',
    ],
    [
      'DELETE',
      '/certificates/r',
      '/certificates/{certificateName}',
      { certificateName: 'r' },
      'RegistryWrite',
    ],
    [
      'POST',
      '/certificates/r/generateVerificationCode',
      '/certificates/{certificateName}/generateVerificationCode',
      { certificateName: 'r' },
      'RegistryWrite',
    ],
    [
      'POST',
      '/certificates/r/verify',
      '/certificates/{certificateName}/verify',
      { certificateName: 'r' },
      'RegistryWrite',
    ],
  ])('%s %s → %s with %o (%s)', (method, path, template, params, permission) => {
    const match = matchRoute(method, path);
    expect(match).toMatchObject({
      kind: 'route',
      route: { method, path: template, permissions: [permission] },
    });
    expect(match.kind === 'route' && match.params).toEqual(params);
  });

  it('tells unknown paths from unsupported methods', () => {
    expect(matchRoute('GET', '/nope')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/devices/a/b/c')).toEqual({ kind: 'not-found' });
    expect(matchRoute('POST', '/twins/d')).toEqual({ kind: 'method-not-allowed' });
    expect(matchRoute('GET', '/devices/%E0%A4%A')).toEqual({ kind: 'not-found' });
  });

  it('requires ServiceConnect for methods, so registry-only policies cannot invoke them', () => {
    expect(matchRoute('POST', '/twins/d/methods')).toMatchObject({
      route: { permissions: ['ServiceConnect'] },
    });
    expect(matchRoute('GET', '/health')).toMatchObject({ route: { permissions: [] } });
  });

  it('answers only the paths declared with a trailing slash with one', () => {
    expect(matchRoute('GET', '/devices/')).toMatchObject({ kind: 'route', route: { path: '/devices' } });
    expect(matchRoute('POST', '/twins/d/methods/')).toMatchObject({ params: { deviceId: 'd' } });
    expect(matchRoute('GET', '/devices/d/')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/health/')).toEqual({ kind: 'not-found' });
  });

  it('serves the first matching row, so a literal path shadows a placeholder only for its own method', () => {
    expect(matchRoute('GET', '/devices/query')).toMatchObject({ params: { deviceId: 'query' } });
    expect(matchRoute('PUT', '/jobs/v2/query')).toMatchObject({ params: { jobId: 'query' } });
  });
});
