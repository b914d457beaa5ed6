import type { Permission } from '../auth/policies';
import { bulkDevices, deleteDevice, getDevice, listDevices, putDevice } from './handlers/devices';
import { cancelJob, getJob, putJob, queryJobs } from './handlers/jobs';
import { invokeMethod } from './handlers/methods';
import { queryTwins } from './handlers/query';
import { getTwin, patchTwin, putTwin } from './handlers/twins';
import { type HttpMethod, type Route, route } from './route';

// Permissions as IoT Hub assigns them: the `service` policy reads twins, queries and invokes methods;
// jobs act on devices as the service does, so they need ServiceConnect like methods.
const TWIN_READ: readonly Permission[] = ['RegistryRead', 'ServiceConnect'];
const TWIN_WRITE: readonly Permission[] = ['ServiceConnect', 'RegistryWrite'];

/**
 * Every REST route of the hub. The first row whose path and method both match serves a request, so a
 * literal path (`/devices/query`, `/jobs/v2/query`) comes before the placeholder it would also match.
 * A path some row matches, with no row for the method, is 405; a path no row matches is 404.
 */
export const ROUTES: readonly Route[] = [
  route({
    method: 'GET',
    path: '/health',
    permissions: [],
    handler: () => ({ status: 200, body: { status: 'ok' } }),
  }),
  route({
    method: 'GET',
    path: '/devices',
    trailingSlash: true,
    permissions: ['RegistryRead'],
    handler: listDevices,
  }),
  route({
    method: 'POST',
    path: '/devices',
    trailingSlash: true,
    permissions: ['RegistryWrite'],
    handler: bulkDevices,
  }),
  route({ method: 'POST', path: '/devices/query', permissions: TWIN_READ, handler: queryTwins }),
  route({ method: 'PUT', path: '/devices/{deviceId}', permissions: ['RegistryWrite'], handler: putDevice }),
  route({ method: 'GET', path: '/devices/{deviceId}', permissions: ['RegistryRead'], handler: getDevice }),
  route({
    method: 'DELETE',
    path: '/devices/{deviceId}',
    permissions: ['RegistryWrite'],
    handler: deleteDevice,
  }),
  route({ method: 'GET', path: '/twins/{deviceId}', permissions: TWIN_READ, handler: getTwin }),
  route({ method: 'PATCH', path: '/twins/{deviceId}', permissions: TWIN_WRITE, handler: patchTwin }),
  route({ method: 'PUT', path: '/twins/{deviceId}', permissions: TWIN_WRITE, handler: putTwin }),
  route({
    method: 'POST',
    path: '/twins/{deviceId}/methods',
    trailingSlash: true,
    permissions: ['ServiceConnect'],
    handler: invokeMethod,
  }),
  route({ method: 'GET', path: '/jobs/v2/query', permissions: ['ServiceConnect'], handler: queryJobs }),
  route({ method: 'PUT', path: '/jobs/v2/{jobId}', permissions: ['ServiceConnect'], handler: putJob }),
  route({ method: 'GET', path: '/jobs/v2/{jobId}', permissions: ['ServiceConnect'], handler: getJob }),
  route({
    method: 'POST',
    path: '/jobs/v2/{jobId}/cancel',
    permissions: ['ServiceConnect'],
    handler: cancelJob,
  }),
];

/** What the route table serves, in table order: for documentation and coverage checks. */
export function listRoutes(): { method: HttpMethod; path: string; permissions: readonly Permission[] }[] {
  return ROUTES.map(({ method, path, permissions }) => ({ method, path, permissions }));
}
