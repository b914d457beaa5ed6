import type { Permission } from '../auth/policies';

export type RouteName =
  | 'health'
  | 'putDevice'
  | 'getDevice'
  | 'deleteDevice'
  | 'listDevices'
  | 'bulkDevices'
  | 'getTwin'
  | 'patchTwin'
  | 'putTwin'
  | 'invokeMethod'
  | 'query'
  | 'putJob'
  | 'getJob'
  | 'cancelJob'
  | 'queryJobs';

interface RouteSpec {
  method: string;
  pattern: RegExp;
  name: RouteName;
  /** Any one of these grants access; empty means no authentication (health only). */
  permissions: readonly Permission[];
  /** What the path's `{id}` names: a device unless said otherwise. */
  id?: 'job';
}

// Permissions as IoT Hub assigns them: the `service` policy reads twins, queries and invokes methods.
const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', pattern: /^\/health$/, name: 'health', permissions: [] },
  { method: 'GET', pattern: /^\/devices\/?$/, name: 'listDevices', permissions: ['RegistryRead'] },
  { method: 'POST', pattern: /^\/devices\/?$/, name: 'bulkDevices', permissions: ['RegistryWrite'] },
  {
    method: 'POST',
    pattern: /^\/devices\/query$/,
    name: 'query',
    permissions: ['RegistryRead', 'ServiceConnect'],
  },
  { method: 'PUT', pattern: /^\/devices\/([^/]+)$/, name: 'putDevice', permissions: ['RegistryWrite'] },
  { method: 'GET', pattern: /^\/devices\/([^/]+)$/, name: 'getDevice', permissions: ['RegistryRead'] },
  { method: 'DELETE', pattern: /^\/devices\/([^/]+)$/, name: 'deleteDevice', permissions: ['RegistryWrite'] },
  {
    method: 'GET',
    pattern: /^\/twins\/([^/]+)$/,
    name: 'getTwin',
    permissions: ['RegistryRead', 'ServiceConnect'],
  },
  {
    method: 'PATCH',
    pattern: /^\/twins\/([^/]+)$/,
    name: 'patchTwin',
    permissions: ['ServiceConnect', 'RegistryWrite'],
  },
  {
    method: 'PUT',
    pattern: /^\/twins\/([^/]+)$/,
    name: 'putTwin',
    permissions: ['ServiceConnect', 'RegistryWrite'],
  },
  {
    method: 'POST',
    pattern: /^\/twins\/([^/]+)\/methods\/?$/,
    name: 'invokeMethod',
    permissions: ['ServiceConnect'],
  },
  // Jobs act on devices as the service does: ServiceConnect, like methods. `query` is matched first.
  { method: 'GET', pattern: /^\/jobs\/v2\/query$/, name: 'queryJobs', permissions: ['ServiceConnect'] },
  {
    method: 'PUT',
    pattern: /^\/jobs\/v2\/([^/]+)$/,
    name: 'putJob',
    permissions: ['ServiceConnect'],
    id: 'job',
  },
  {
    method: 'GET',
    pattern: /^\/jobs\/v2\/([^/]+)$/,
    name: 'getJob',
    permissions: ['ServiceConnect'],
    id: 'job',
  },
  {
    method: 'POST',
    pattern: /^\/jobs\/v2\/([^/]+)\/cancel$/,
    name: 'cancelJob',
    permissions: ['ServiceConnect'],
    id: 'job',
  },
];

export type RouteMatch =
  | {
      kind: 'route';
      name: RouteName;
      deviceId: string | undefined;
      jobId: string | undefined;
      permissions: readonly Permission[];
    }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

/** Matches a request path (without query) to a route; ids in the path are percent-decoded. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  let pathKnown = false;
  for (const route of ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    pathKnown = true;
    if (route.method !== method) continue;
    const raw = match[1];
    let id: string | undefined;
    try {
      id = raw === undefined ? undefined : decodeURIComponent(raw);
    } catch {
      return { kind: 'not-found' };
    }
    const job = route.id === 'job';
    return {
      kind: 'route',
      name: route.name,
      deviceId: job ? undefined : id,
      jobId: job ? id : undefined,
      permissions: route.permissions,
    };
  }
  return pathKnown ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}
