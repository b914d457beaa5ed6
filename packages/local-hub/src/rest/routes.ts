import type { Permission } from '../auth/policies';
import { methodMeters } from '../quota/rates';
import {
  deleteCertificate,
  generateVerificationCode,
  getCertificate,
  listCertificates,
  putCertificate,
  verifyCertificate,
} from './handlers/certificates';
import { bulkDevices, deleteDevice, getDevice, listDevices, putDevice } from './handlers/devices';
import { health } from './handlers/health';
import { cancelJob, getJob, putJob, queryJobs } from './handlers/jobs';
import { invokeMethod } from './handlers/methods';
import {
  deleteModule,
  getModule,
  getModuleTwin,
  invokeModuleMethod,
  listModules,
  patchModuleTwin,
  putModule,
  putModuleTwin,
} from './handlers/modules';
import { queryTwins } from './handlers/query';
import { deviceStatistics, serviceStatistics } from './handlers/statistics';
import { getTwin, patchTwin, putTwin } from './handlers/twins';
import { type HttpMethod, notSupported, type Route, type RouteThrottle, route } from './route';

// Permissions as IoT Hub assigns them: the `service` policy reads twins, queries and invokes methods;
// jobs act on devices as the service does, so they need ServiceConnect like methods.
const TWIN_READ: readonly Permission[] = ['RegistryRead', 'ServiceConnect'];
const TWIN_WRITE: readonly Permission[] = ['ServiceConnect', 'RegistryWrite'];

// The IoT Hub throttle each route counts against when the hub runs with a quota (quota/rates.ts).
const TWIN_READS: RouteThrottle = { operation: 'twinReads' };
const TWIN_UPDATES: RouteThrottle = { operation: 'twinUpdates' };
const QUERIES: RouteThrottle = { operation: 'queries' };
const JOBS: RouteThrottle = { operation: 'jobsOperations' };
// Identity registry operations (create, retrieve, list, update, delete), bulk requests counted once each.
const REGISTRY: RouteThrottle = { operation: 'registryOperations' };
// Direct methods are metered by payload, 4 KB a token.
const METHODS: RouteThrottle = {
  operation: 'directMethods',
  cost: (body) =>
    methodMeters(Buffer.byteLength(JSON.stringify((body as { payload?: unknown } | null)?.payload ?? null))),
};

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
    handler: health,
  }),
  route({
    method: 'GET',
    path: '/devices',
    trailingSlash: true,
    permissions: ['RegistryRead'],
    throttle: REGISTRY,
    handler: listDevices,
  }),
  route({
    method: 'POST',
    path: '/devices',
    trailingSlash: true,
    permissions: ['RegistryWrite'],
    throttle: REGISTRY,
    handler: bulkDevices,
  }),
  route({
    method: 'POST',
    path: '/devices/query',
    permissions: TWIN_READ,
    throttle: QUERIES,
    handler: queryTwins,
  }),
  route({
    method: 'PUT',
    path: '/devices/{deviceId}',
    permissions: ['RegistryWrite'],
    throttle: REGISTRY,
    handler: putDevice,
  }),
  route({
    method: 'GET',
    path: '/devices/{deviceId}',
    permissions: ['RegistryRead'],
    throttle: REGISTRY,
    handler: getDevice,
  }),
  route({
    method: 'DELETE',
    path: '/devices/{deviceId}',
    permissions: ['RegistryWrite'],
    throttle: REGISTRY,
    handler: deleteDevice,
  }),
  route({
    method: 'GET',
    path: '/twins/{deviceId}',
    permissions: TWIN_READ,
    throttle: TWIN_READS,
    handler: getTwin,
  }),
  route({
    method: 'PATCH',
    path: '/twins/{deviceId}',
    permissions: TWIN_WRITE,
    throttle: TWIN_UPDATES,
    handler: patchTwin,
  }),
  route({
    method: 'PUT',
    path: '/twins/{deviceId}',
    permissions: TWIN_WRITE,
    throttle: TWIN_UPDATES,
    handler: putTwin,
  }),
  route({
    method: 'POST',
    path: '/twins/{deviceId}/methods',
    trailingSlash: true,
    permissions: ['ServiceConnect'],
    throttle: METHODS,
    handler: invokeMethod,
  }),
  // Modules, as azure-iothub's Registry (addModule, getModule, getModulesOnDevice, updateModule,
  // removeModule, getModuleTwin, updateModuleTwin) and Client.invokeDeviceMethod(id, moduleId, …) call them.
  route({
    method: 'GET',
    path: '/devices/{deviceId}/modules',
    permissions: ['RegistryRead'],
    handler: listModules,
  }),
  route({
    method: 'PUT',
    path: '/devices/{deviceId}/modules/{moduleId}',
    permissions: ['RegistryWrite'],
    handler: putModule,
  }),
  route({
    method: 'GET',
    path: '/devices/{deviceId}/modules/{moduleId}',
    permissions: ['RegistryRead'],
    handler: getModule,
  }),
  route({
    method: 'DELETE',
    path: '/devices/{deviceId}/modules/{moduleId}',
    permissions: ['RegistryWrite'],
    handler: deleteModule,
  }),
  route({
    method: 'GET',
    path: '/twins/{deviceId}/modules/{moduleId}',
    permissions: TWIN_READ,
    throttle: TWIN_READS,
    handler: getModuleTwin,
  }),
  route({
    method: 'PATCH',
    path: '/twins/{deviceId}/modules/{moduleId}',
    permissions: TWIN_WRITE,
    throttle: TWIN_UPDATES,
    handler: patchModuleTwin,
  }),
  route({
    method: 'PUT',
    path: '/twins/{deviceId}/modules/{moduleId}',
    permissions: TWIN_WRITE,
    throttle: TWIN_UPDATES,
    handler: putModuleTwin,
  }),
  route({
    method: 'POST',
    path: '/twins/{deviceId}/modules/{moduleId}/methods',
    trailingSlash: true,
    permissions: ['ServiceConnect'],
    throttle: METHODS,
    handler: invokeModuleMethod,
  }),
  route({
    method: 'GET',
    path: '/jobs/v2/query',
    permissions: ['ServiceConnect'],
    throttle: JOBS,
    handler: queryJobs,
  }),
  route({
    method: 'PUT',
    path: '/jobs/v2/{jobId}',
    permissions: ['ServiceConnect'],
    throttle: JOBS,
    handler: putJob,
  }),
  route({
    method: 'GET',
    path: '/jobs/v2/{jobId}',
    permissions: ['ServiceConnect'],
    throttle: JOBS,
    handler: getJob,
  }),
  route({
    method: 'POST',
    path: '/jobs/v2/{jobId}/cancel',
    permissions: ['ServiceConnect'],
    throttle: JOBS,
    handler: cancelJob,
  }),
  route({
    method: 'GET',
    path: '/statistics/devices',
    permissions: ['RegistryRead'],
    handler: deviceStatistics,
  }),
  route({
    method: 'GET',
    path: '/statistics/service',
    permissions: ['ServiceConnect'],
    handler: serviceStatistics,
  }),
  // X.509 CA certificates, shaped like the resource provider's `…/IotHubs/{name}/certificates` (azure-iothub
  // has no client for them). Managing what vouches for devices is writing to the registry.
  route({ method: 'GET', path: '/certificates', permissions: ['RegistryRead'], handler: listCertificates }),
  route({
    method: 'PUT',
    path: '/certificates/{certificateName}',
    permissions: ['RegistryWrite'],
    handler: putCertificate,
  }),
  route({
    method: 'GET',
    path: '/certificates/{certificateName}',
    permissions: ['RegistryRead'],
    handler: getCertificate,
  }),
  route({
    method: 'DELETE',
    path: '/certificates/{certificateName}',
    permissions: ['RegistryWrite'],
    handler: deleteCertificate,
  }),
  route({
    method: 'POST',
    path: '/certificates/{certificateName}/generateVerificationCode',
    permissions: ['RegistryWrite'],
    handler: generateVerificationCode,
  }),
  route({
    method: 'POST',
    path: '/certificates/{certificateName}/verify',
    permissions: ['RegistryWrite'],
    handler: verifyCertificate,
  }),

  // IoT Hub routes (as azure-iothub's Registry, Client and DigitalTwinClient call them) that the local hub
  // does not implement: 501, not 404.
  notSupported('Configurations', 'GET', '/configurations'),
  notSupported('Configurations', 'PUT', '/configurations/{configurationId}'),
  notSupported('Configurations', 'GET', '/configurations/{configurationId}'),
  notSupported('Configurations', 'DELETE', '/configurations/{configurationId}'),
  notSupported('Configurations', 'POST', '/devices/{deviceId}/applyConfigurationContent'),
  notSupported('Import and export jobs', 'POST', '/jobs/create'),
  notSupported('Import and export jobs', 'GET', '/jobs'),
  notSupported('Import and export jobs', 'GET', '/jobs/{jobId}'),
  notSupported('Import and export jobs', 'DELETE', '/jobs/{jobId}'),
  notSupported('Cloud-to-device messages', 'DELETE', '/devices/{deviceId}/commands'),
  notSupported('File upload', 'POST', '/devices/{deviceId}/files'),
  notSupported('File upload', 'POST', '/devices/{deviceId}/files/notifications'),
  notSupported('Digital twins', 'GET', '/digitaltwins/{digitalTwinId}'),
  notSupported('Digital twins', 'PATCH', '/digitaltwins/{digitalTwinId}'),
  notSupported('Digital twins', 'POST', '/digitaltwins/{digitalTwinId}/commands/{commandName}'),
  notSupported(
    'Digital twins',
    'POST',
    '/digitaltwins/{digitalTwinId}/components/{componentPath}/commands/{commandName}',
  ),
];

/** What the route table serves, in table order: for documentation and coverage checks. */
export function listRoutes(): {
  method: HttpMethod;
  path: string;
  permissions: readonly Permission[];
  /** The feature of a route the local hub answers 501 to; absent for supported routes. */
  notSupported?: string;
}[] {
  return ROUTES.map(({ method, path, permissions, notSupported }) => ({
    method,
    path,
    permissions,
    ...(notSupported === undefined ? {} : { notSupported }),
  }));
}
