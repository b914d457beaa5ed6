import type { Logger } from 'pino';
import type { JobService } from '../../jobs/service';
import type { MethodInvoker } from '../../methods/invoker';
import type { DeviceSessions } from '../../mqtt/sessions';
import type { QuerySnapshots } from '../../query/snapshots';
import type { DeviceRegistry } from '../../registry/devices';
import type { ModuleTwinViews } from '../../registry/module-twin-views';
import type { ModuleRegistry } from '../../registry/modules';
import type { ServiceTwinViews } from '../../registry/twin-views';
import type { TwinRegistry } from '../../registry/twins';
import type { CaCertificates } from '../../x509/ca-certificates';

/** The hub services REST handlers work on. */
export interface RestContext {
  registry: DeviceRegistry;
  twins: TwinRegistry;
  twinViews: ServiceTwinViews;
  modules: ModuleRegistry;
  moduleTwinViews: ModuleTwinViews;
  sessions: DeviceSessions;
  invoker: MethodInvoker;
  jobs: JobService;
  certificates: CaCertificates;
}

/** What handlers work on: the hub's services, and the state the REST server keeps for them. */
export interface HandlerContext extends RestContext {
  /** Recent query runs, so that the later pages of a run are served from its first page's results. */
  querySnapshots: QuerySnapshots;
}

/** A parsed request as handlers see it; `params` has exactly the placeholders of the route's path. */
export interface RestRequest<ParamName extends string = never> {
  params: Readonly<Record<ParamName, string>>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  /** This request's logger, for what a handler absorbs instead of throwing. */
  log: Logger;
}

/** A handler's answer; `body` is serialised as JSON when present. */
export interface RestResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request header's (first) value; `name` is lower case, as Node gives header names. */
export function header(request: Pick<RestRequest, 'headers'>, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
