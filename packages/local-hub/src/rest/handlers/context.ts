import type { Logger } from 'pino';
import type { JobService } from '../../jobs/service';
import type { MethodInvoker } from '../../methods/invoker';
import type { DeviceSessions } from '../../mqtt/sessions';
import type { DeviceRegistry } from '../../registry/devices';
import type { ServiceTwinViews } from '../../registry/twin-views';
import type { TwinRegistry } from '../../registry/twins';

/** The hub services REST handlers work on. */
export interface RestContext {
  registry: DeviceRegistry;
  twins: TwinRegistry;
  twinViews: ServiceTwinViews;
  sessions: DeviceSessions;
  invoker: MethodInvoker;
  jobs: JobService;
}

/** A parsed request as handlers see it. */
export interface RestRequest {
  deviceId: string | undefined;
  jobId: string | undefined;
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

export function header(request: RestRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Handlers of routes with `{id}` get it; a missing one is a router bug, not user input. */
export function deviceIdOf(request: RestRequest): string {
  if (request.deviceId === undefined) throw new Error('route without a device id');
  return request.deviceId;
}
