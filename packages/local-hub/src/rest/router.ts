import type { Route } from './route';
import { ROUTES } from './routes';

/** Which route serves a request, with its path parameters; or why none does. */
export type RouteMatch =
  | { kind: 'route'; route: Route; params: Readonly<Record<string, string>> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

/**
 * Matches a request path (without query) to the first route of `routes` with that path and method.
 * Path parameters are percent-decoded; one that does not decode makes the path unknown.
 */
export function matchRoute(method: string, pathname: string, routes: readonly Route[] = ROUTES): RouteMatch {
  let pathKnown = false;
  for (const route of routes) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    pathKnown = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    try {
      route.paramNames.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
    } catch {
      return { kind: 'not-found' };
    }
    return { kind: 'route', route, params };
  }
  return pathKnown ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}
