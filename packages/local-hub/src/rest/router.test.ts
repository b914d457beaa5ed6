import { matchRoute } from './router';

describe('matchRoute', () => {
  it.each([
    ['GET', '/health', 'health', undefined],
    ['GET', '/devices', 'listDevices', undefined],
    ['POST', '/devices', 'bulkDevices', undefined],
    ['POST', '/devices/query', 'query', undefined],
    ['PUT', '/devices/a%23b', 'putDevice', 'a#b'],
    ['GET', '/devices/d', 'getDevice', 'd'],
    ['DELETE', '/devices/d', 'deleteDevice', 'd'],
    ['GET', '/twins/d', 'getTwin', 'd'],
    ['PATCH', '/twins/d', 'patchTwin', 'd'],
    ['PUT', '/twins/d', 'putTwin', 'd'],
    ['POST', '/twins/d/methods', 'invokeMethod', 'd'],
  ])('%s %s → %s', (method, path, name, deviceId) => {
    expect(matchRoute(method, path)).toMatchObject({ kind: 'route', name, deviceId });
  });

  it.each([
    ['PUT', '/jobs/v2/j%231', 'putJob', 'j#1'],
    ['GET', '/jobs/v2/j1', 'getJob', 'j1'],
    ['POST', '/jobs/v2/j1/cancel', 'cancelJob', 'j1'],
    ['GET', '/jobs/v2/query', 'queryJobs', undefined],
  ])('%s %s → %s with job id %s', (method, path, name, jobId) => {
    expect(matchRoute(method, path)).toMatchObject({ kind: 'route', name, jobId, deviceId: undefined });
    expect(matchRoute(method, path)).toMatchObject({ permissions: ['ServiceConnect'] });
  });

  it('tells unknown paths from unsupported methods', () => {
    expect(matchRoute('GET', '/nope')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/devices/a/b/c')).toEqual({ kind: 'not-found' });
    expect(matchRoute('POST', '/twins/d')).toEqual({ kind: 'method-not-allowed' });
    expect(matchRoute('GET', '/devices/%E0%A4%A')).toEqual({ kind: 'not-found' });
  });

  it('requires ServiceConnect for methods, so registry-only policies cannot invoke them', () => {
    expect(matchRoute('POST', '/twins/d/methods')).toMatchObject({ permissions: ['ServiceConnect'] });
    expect(matchRoute('GET', '/health')).toMatchObject({ permissions: [] });
  });
});
