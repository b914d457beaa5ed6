import type { Permission } from '../auth/policies';
import { HubError } from '../errors';
import type { OperationClass } from '../quota/rates';
import type { HandlerContext, RestRequest, RestResponse } from './handlers/context';

/** The HTTP methods routes are declared with. */
export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** The `{name}` placeholders of a path template: `'/twins/{deviceId}/methods'` → `'deviceId'`. */
export type PathParamNames<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParamNames<Rest>
  : never;

/** Serves one route; `request.params` holds the placeholders of its path, percent-decoded. */
export type RouteHandler<ParamName extends string = never> = (
  ctx: HandlerContext,
  request: RestRequest<ParamName>,
) => RestResponse | Promise<RestResponse>;

/** One row of the route table as it is written: everything about the route, in one place. */
export interface RouteDeclaration<Path extends string> {
  method: HttpMethod;
  /** Literal segments and `{name}` placeholders, each a whole segment: `/jobs/v2/{jobId}/cancel`. */
  path: Path;
  /** Any one of these grants access; empty means no authentication (and no api-version). */
  permissions: readonly Permission[];
  /** Also match the path with a trailing `/` (only the routes that always did: it is not a default). */
  trailingSlash?: true;
  /** The IoT Hub throttle the route counts against (with `--quota`), and its cost in tokens (default 1). */
  throttle?: RouteThrottle;
  /** Gets the placeholders of `path` as `request.params`: reading one the path lacks does not compile. */
  handler: RouteHandler<PathParamNames<Path>>;
}

/** Which operation class a route is metered as, and what one request costs. */
export interface RouteThrottle {
  operation: OperationClass;
  cost?: (body: unknown) => number;
}

/** A declared route, ready for matching. */
export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  /** Set on IoT Hub routes the local hub knows but does not implement: the feature they belong to. */
  readonly notSupported?: string;
  readonly permissions: readonly Permission[];
  readonly throttle?: RouteThrottle;
  /** Matches the whole path; group i captures `paramNames[i]`, still percent-encoded. */
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly handler: RouteHandler<string>;
}

const PLACEHOLDER = /^\{(\w+)\}$/;

/** Declares a route of the table; throws on a placeholder that is not a whole path segment. */
export function route<Path extends string>(declaration: RouteDeclaration<Path>): Route {
  const paramNames: string[] = [];
  const source = declaration.path
    .split('/')
    .map((segment) => {
      const name = PLACEHOLDER.exec(segment)?.[1];
      if (name !== undefined) {
        paramNames.push(name);
        return '([^/]+)';
      }
      if (/[{}]/.test(segment)) throw new Error(`${declaration.path}: a placeholder must be a whole segment`);
      return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return {
    method: declaration.method,
    path: declaration.path,
    permissions: declaration.permissions,
    ...(declaration.throttle ? { throttle: declaration.throttle } : {}),
    pattern: new RegExp(`^${source}${declaration.trailingSlash ? '/?' : ''}$`),
    paramNames,
    // Safe: the router fills `params` with exactly the placeholders parsed from this same path.
    handler: declaration.handler as RouteHandler<string>,
  };
}

/**
 * A route of real IoT Hub that the local hub does not implement: it answers 501 `NotImplemented` naming
 * `feature`, so code written for IoT Hub learns that the local hub lacks it (a 404 would read as "device
 * not found"). Listed with the other routes, so SUPPORTED.md is checked against it too.
 */
export function notSupported(feature: string, method: HttpMethod, path: string): Route {
  return {
    ...route({
      method,
      path,
      permissions: [],
      handler: () => {
        throw new HubError(
          'NotImplemented',
          `${feature} is not supported by the local hub (${method} ${path}); see its SUPPORTED.md.`,
        );
      },
    }),
    notSupported: feature,
  };
}
