import { randomUUID } from 'node:crypto';
import { REBOOT_METHOD_NAME, readRebootStateFromTwin } from '@iothub-reboot/contracts';
import type { Logger } from 'pino';
import { HubError } from '../errors';
import { METHODS_FILTER } from '../mqtt/topics';
import { executeQuery, parseQuery } from '../query';
import type { DeviceRecord } from '../registry/devices';
import { toDeviceFacts } from '../registry/documents';
import { identityKey } from '../registry/identity';
import { toModuleFacts } from '../registry/module-documents';
import type { ModuleRecord } from '../registry/modules';
import type { HandlerContext, RestRequest, RestResponse } from '../rest/handlers/context';
import { deleteDevice, putDevice } from '../rest/handlers/devices';
import { cancelJob, putJob } from '../rest/handlers/jobs';
import { invokeMethod } from '../rest/handlers/methods';
import {
  deleteModule,
  getModuleTwin,
  invokeModuleMethod,
  patchModuleTwin,
  putModule,
} from '../rest/handlers/modules';
import { queryTwins } from '../rest/handlers/query';
import { getTwin, patchTwin } from '../rest/handlers/twins';

/**
 * The web view's JSON API. Reads come from the hub's own state; every action calls the REST handler that
 * serves the same IoT Hub call, so the view gets exactly the REST API's validation, limits and errors.
 * Nothing here returns a device key, except the connection string the user asked to copy.
 */

/** What view handlers work on. */
export interface ViewContext {
  rest: HandlerContext;
  deviceConnectionString(device: DeviceRecord): string;
  moduleConnectionString(module: ModuleRecord): string;
  log: Logger;
}

/** A view API request: path parameters, query string and parsed JSON body. */
export interface ViewRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

type ViewHandler = (ctx: ViewContext, request: ViewRequest) => RestResponse | Promise<RestResponse>;

interface ViewRoute {
  method: string;
  /** Segments; `:name` is a parameter. */
  segments: string[];
  handler: ViewHandler;
}

function viewRoute(method: string, path: string, handler: ViewHandler): ViewRoute {
  return { method, segments: path.split('/').filter(Boolean), handler };
}

/** Longest a method call from the view waits by default (IoT Hub's own default response timeout). */
const DEFAULT_RESPONSE_TIMEOUT_S = 30;

const VIEW_ROUTES: readonly ViewRoute[] = [
  viewRoute('GET', '/api/devices', listDevices),
  viewRoute('POST', '/api/devices', createDevice),
  viewRoute('PATCH', '/api/devices/:deviceId', setDeviceStatus),
  viewRoute('DELETE', '/api/devices/:deviceId', removeDevice),
  viewRoute('POST', '/api/devices/:deviceId/connection-string', revealConnectionString),
  viewRoute('POST', '/api/devices/:deviceId/reboot', rebootDevice),
  viewRoute('GET', '/api/twins/:deviceId', readTwin),
  viewRoute('PATCH', '/api/twins/:deviceId', editTwin),
  viewRoute('POST', '/api/twins/:deviceId/methods', callMethod),
  // A module's page: the same reads and actions on the module's twin and connection.
  viewRoute('GET', '/api/twins/:deviceId/modules/:moduleId', readTwin),
  viewRoute('PATCH', '/api/twins/:deviceId/modules/:moduleId', editTwin),
  viewRoute('POST', '/api/twins/:deviceId/modules/:moduleId/methods', callMethod),
  viewRoute('POST', '/api/devices/:deviceId/modules/:moduleId/reboot', rebootDevice),
  // The list's module actions: the module registry routes (`/devices/{id}/modules/{mid}`).
  viewRoute('POST', '/api/devices/:deviceId/modules', createModule),
  viewRoute('DELETE', '/api/devices/:deviceId/modules/:moduleId', removeModule),
  viewRoute('POST', '/api/devices/:deviceId/modules/:moduleId/connection-string', revealConnectionString),
  viewRoute('GET', '/api/jobs', listJobs),
  viewRoute('POST', '/api/jobs', createRebootJob),
  viewRoute('POST', '/api/jobs/:jobId/cancel', cancelViewJob),
  viewRoute('GET', '/api/jobs/:jobId/devices', jobDevices),
  viewRoute('POST', '/api/query', runQuery),
];

/** The view route for a method and path (already URL-decoded per segment), or why there is none. */
export function matchViewRoute(
  method: string,
  pathname: string,
): { handler: ViewHandler; params: Record<string, string> } | { error: HubError } {
  const parts = pathname.split('/').filter(Boolean);
  let pathKnown = false;
  for (const route of VIEW_ROUTES) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (const [i, segment] of route.segments.entries()) {
      const part = parts[i] as string;
      if (segment.startsWith(':')) {
        try {
          params[segment.slice(1)] = decodeURIComponent(part);
        } catch {
          return { error: new HubError('ArgumentInvalid', 'The path is not correctly URL-encoded.') };
        }
      } else if (segment !== part) matches = false;
    }
    if (!matches) continue;
    pathKnown = true;
    if (route.method === method) return { handler: route.handler, params };
  }
  return {
    error: pathKnown
      ? new HubError('MethodNotAllowed', `${method} is not supported on ${pathname}.`)
      : new HubError('NotFound', `No view API route for ${pathname}.`),
  };
}

/** A REST request for a handler, built from the view's request. */
function restRequest<P extends string>(
  ctx: ViewContext,
  params: Record<P, string>,
  body: unknown,
  headers: Record<string, string | undefined> = {},
): RestRequest<P> {
  return { params, body, headers, query: new URLSearchParams(), log: ctx.log };
}

/**
 * A device as the list shows it, with its modules: never their keys. The auth type is the one its twin
 * document shows (`authenticationType`: `sas`, `selfSigned` or `certificateAuthority`).
 */
function deviceRow(
  ctx: ViewContext,
  device: DeviceRecord,
  modules: readonly ModuleRecord[] = ctx.rest.modules.listOn(device.deviceId),
) {
  const presence = ctx.rest.sessions.presenceOf(device.deviceId);
  return {
    deviceId: device.deviceId,
    etag: device.etag,
    status: device.status,
    authType: toDeviceFacts(device, presence).authenticationType,
    ...liveState(ctx, device.deviceId),
    modules: modules.map((module) => {
      const key = identityKey(device.deviceId, module.moduleId);
      return {
        moduleId: module.moduleId,
        authType: toModuleFacts(module, device, ctx.rest.sessions.presenceOf(key)).authenticationType,
        ...liveState(ctx, key),
      };
    }),
  };
}

/** What changes as a device or module (by identity key) connects, works and subscribes. */
function liveState(ctx: ViewContext, key: string) {
  const presence = ctx.rest.sessions.presenceOf(key);
  return {
    connectionState: presence.connectionState,
    lastActivityTime: presence.lastActivityTime,
    methodsSubscribed: ctx.rest.sessions.isSubscribed(key, METHODS_FILTER),
  };
}

/** The device, or the module when the route names one: what a device page's reads and actions go to. */
interface Target {
  deviceId: string;
  moduleId?: string;
}

function targetOf(request: ViewRequest): Target {
  const { deviceId, moduleId } = request.params as { deviceId: string; moduleId?: string };
  return moduleId === undefined ? { deviceId } : { deviceId, moduleId };
}

/** GET /api/devices[?id=<part of an id>][&where=<twin query condition>] */
function listDevices(ctx: ViewContext, request: ViewRequest): RestResponse {
  const idPart = (request.query.get('id') ?? '').trim().toLowerCase();
  const where = (request.query.get('where') ?? '').trim();
  let selected: Set<string> | undefined;
  if (where) {
    // The same parser and evaluator as POST /devices/query; a syntax error names its position in `where`.
    const prefix = 'SELECT * FROM devices WHERE ';
    let query: ReturnType<typeof parseQuery>;
    try {
      query = parseQuery(prefix + where);
    } catch (err) {
      throw shiftedSyntaxError(err, prefix.length);
    }
    selected = new Set(executeQuery(query, ctx.rest.twinViews.all()).map((row) => String(row.deviceId)));
  }
  // Every module grouped once (in creation order), not one scan of all modules per listed device.
  const modulesOf = new Map<string, ModuleRecord[]>();
  for (const module of ctx.rest.modules.all()) {
    const list = modulesOf.get(module.deviceId);
    if (list) list.push(module);
    else modulesOf.set(module.deviceId, [module]);
  }
  const devices = ctx.rest.registry
    .list()
    .filter((device) => !idPart || device.deviceId.toLowerCase().includes(idPart))
    .filter((device) => !selected || selected.has(device.deviceId))
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId))
    .map((device) => deviceRow(ctx, device, modulesOf.get(device.deviceId) ?? []));
  return { status: 200, body: devices };
}

/** A query error's position counted in the user's condition, not in the query built around it. */
function shiftedSyntaxError(err: unknown, offset: number): unknown {
  if (!(err instanceof Error) || err.name !== 'QuerySyntaxError') return err;
  const position = (err as Error & { position: number }).position;
  const message = err.message.replace(/at position \d+/, `at position ${Math.max(0, position - offset)}`);
  return new HubError('ArgumentInvalid', message);
}

/**
 * POST /api/devices {deviceId, authType?, primaryThumbprint?, secondaryThumbprint?}: PUT /devices/{id}
 * without If-Match, `authentication` as IoT Hub's device document has it (`sas` by default; `selfSigned`
 * with thumbprints, `certificateAuthority` with none), so the REST API's own rules accept or refuse it.
 */
async function createDevice(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const body = (request.body ?? {}) as {
    deviceId?: unknown;
    authType?: unknown;
    primaryThumbprint?: unknown;
    secondaryThumbprint?: unknown;
  };
  const { deviceId, authType = 'sas' } = body;
  if (typeof deviceId !== 'string') throw new HubError('ArgumentInvalid', 'deviceId is required.');
  const authentication =
    authType === 'selfSigned'
      ? {
          type: authType,
          x509Thumbprint: {
            primaryThumbprint: body.primaryThumbprint,
            secondaryThumbprint: body.secondaryThumbprint,
          },
        }
      : { type: authType };
  await putDevice(ctx.rest, restRequest(ctx, { deviceId }, { deviceId, authentication }));
  return { status: 200, body: deviceRow(ctx, ctx.rest.registry.require(deviceId)) };
}

/** PATCH /api/devices/{id} {status, etag?}: PUT /devices/{id} with If-Match (keys are kept on update). */
async function setDeviceStatus(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const { deviceId } = request.params as { deviceId: string };
  const body = (request.body ?? {}) as { status?: unknown; etag?: unknown };
  const etag = typeof body.etag === 'string' ? `"${body.etag}"` : '*';
  await putDevice(
    ctx.rest,
    restRequest(ctx, { deviceId }, { deviceId, status: body.status }, { 'if-match': etag }),
  );
  return { status: 200, body: deviceRow(ctx, ctx.rest.registry.require(deviceId)) };
}

/** DELETE /api/devices/{id}: DELETE /devices/{id}. */
function removeDevice(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const { deviceId } = request.params as { deviceId: string };
  return deleteDevice(ctx.rest, restRequest(ctx, { deviceId }, undefined, { 'if-match': '*' }));
}

/**
 * POST /api/devices/{id}[/modules/{mid}]/connection-string: the one answer that holds a key, asked for by
 * the user (a module's is what `ModuleClient.fromConnectionString` takes).
 */
function revealConnectionString(ctx: ViewContext, request: ViewRequest): RestResponse {
  const target = targetOf(request);
  const connectionString =
    target.moduleId === undefined
      ? ctx.deviceConnectionString(ctx.rest.registry.require(target.deviceId))
      : ctx.moduleConnectionString(ctx.rest.modules.require(target.deviceId, target.moduleId));
  ctx.log.info(target, 'view: connection string revealed');
  return { status: 200, body: { connectionString } };
}

/**
 * POST /api/devices/{id}/modules {moduleId}: PUT /devices/{id}/modules/{mid} without If-Match, with the body
 * azure-iothub 1.16.6's `Registry.addModule` sends for a module given no keys (`_normalizeAuthentication`:
 * sas with empty keys, so the hub generates them). The REST API's own rules then refuse a `$`-prefixed id
 * (400), a duplicate (409 ModuleAlreadyExistsOnDevice), a missing device (404) or the 51st module. Answers
 * the device's row, whose module list holds no keys (the REST answer does).
 */
async function createModule(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const { deviceId } = request.params as { deviceId: string };
  const { moduleId } = (request.body ?? {}) as { moduleId?: unknown };
  if (typeof moduleId !== 'string') throw new HubError('ArgumentInvalid', 'moduleId is required.');
  await putModule(
    ctx.rest,
    restRequest(
      ctx,
      { deviceId, moduleId },
      {
        deviceId,
        moduleId,
        authentication: { type: 'sas', symmetricKey: { primaryKey: '', secondaryKey: '' } },
      },
    ),
  );
  return { status: 200, body: deviceRow(ctx, ctx.rest.registry.require(deviceId)) };
}

/** DELETE /api/devices/{id}/modules/{mid}: DELETE /devices/{id}/modules/{mid} (its twin and connection go too). */
function removeModule(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const { deviceId, moduleId } = request.params as { deviceId: string; moduleId: string };
  return deleteModule(ctx.rest, restRequest(ctx, { deviceId, moduleId }, undefined, { 'if-match': '*' }));
}

/**
 * GET /api/twins/{id}[/modules/{mid}][?correlationId=…]: the device's (or module's) twin, its etag, and
 * the reboot state it reports.
 */
function readTwin(ctx: ViewContext, request: ViewRequest): RestResponse {
  const target = targetOf(request);
  const response =
    target.moduleId === undefined
      ? getTwin(ctx.rest, restRequest(ctx, { deviceId: target.deviceId }, undefined))
      : getModuleTwin(ctx.rest, restRequest(ctx, { ...target, moduleId: target.moduleId }, undefined));
  return { status: 200, body: withReboot(response.body, request.query.get('correlationId')) };
}

/** The twin with what `@iothub-reboot/contracts` reads of `iothubDM.reboot`, and whether it is this request's. */
function withReboot(twin: unknown, correlationId: string | null) {
  const state = readRebootStateFromTwin(twin);
  const reboot = state.known
    ? {
        known: true,
        status: state.status,
        correlationId: state.correlationId ?? null,
        lastReboot: state.lastReboot?.toISOString() ?? null,
        startedAt: state.startedAt?.toISOString() ?? null,
        reason: state.reason ?? null,
        // Confirmation by correlation id, the exact rule of twin-poller's checkRebootConfirmed.
        confirmsRequest: correlationId !== null && state.correlationId === correlationId,
      }
    : { known: false, reason: state.reason, confirmsRequest: false };
  return { twin, reboot };
}

/**
 * PATCH /api/twins/{id}[/modules/{mid}] {etag, tags?, desired?}: PATCH /twins/{id}[/modules/{mid}] with
 * If-Match; a conflict is a 412.
 */
async function editTwin(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const target = targetOf(request);
  const body = (request.body ?? {}) as { etag?: unknown; tags?: unknown; desired?: unknown };
  if (typeof body.etag !== 'string') {
    throw new HubError('ArgumentInvalid', 'etag is required: the view never overwrites a twin blindly.');
  }
  const update = {
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...(body.desired === undefined ? {} : { properties: { desired: body.desired } }),
  };
  const headers = { 'if-match': `"${body.etag}"` };
  const response =
    target.moduleId === undefined
      ? await patchTwin(ctx.rest, restRequest(ctx, { deviceId: target.deviceId }, update, headers))
      : await patchModuleTwin(
          ctx.rest,
          restRequest(ctx, { ...target, moduleId: target.moduleId }, update, headers),
        );
  return { status: 200, body: withReboot(response.body, null) };
}

/**
 * POST /api/twins/{id}[/modules/{mid}]/methods: POST /twins/{id}[/modules/{mid}]/methods, with the latency
 * the hub measured.
 */
async function callMethod(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const started = performance.now();
  const response = await invoke(ctx, targetOf(request), request.body);
  const latencyMs = Math.round(performance.now() - started);
  return { status: 200, body: { ...(response.body as object), latencyMs } };
}

/** A direct method on the device or the module, through the REST handler of that IoT Hub call. */
function invoke(ctx: ViewContext, target: Target, body: unknown): Promise<RestResponse> {
  return target.moduleId === undefined
    ? invokeMethod(ctx.rest, restRequest(ctx, { deviceId: target.deviceId }, body))
    : invokeModuleMethod(ctx.rest, restRequest(ctx, { ...target, moduleId: target.moduleId }, body));
}

/**
 * POST /api/devices/{id}[/modules/{mid}]/reboot: this project's reboot flow. Invokes `rebootDevice` with a
 * fresh correlation id (the device or module echoes it in `iothubDM.reboot.correlationId` of its own twin);
 * the page then follows that twin (GET /api/twins/…?correlationId=…) until it confirms this very request.
 */
async function rebootDevice(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const correlationId = `reboot-${randomUUID()}`;
  const requestedAt = new Date().toISOString();
  const started = performance.now();
  const response = await invoke(ctx, targetOf(request), {
    methodName: REBOOT_METHOD_NAME,
    payload: { correlationId, reason: 'requested from the local hub web view' },
    responseTimeoutInSeconds: DEFAULT_RESPONSE_TIMEOUT_S,
  });
  const latencyMs = Math.round(performance.now() - started);
  return { status: 200, body: { ...(response.body as object), latencyMs, correlationId, requestedAt } };
}

/** GET /api/jobs: every job document, newest first, with its live deviceJobStatistics. */
function listJobs(ctx: ViewContext): RestResponse {
  return { status: 200, body: ctx.rest.jobs.list().reverse() };
}

/** POST /api/jobs {queryCondition}: PUT /jobs/v2/{new id}, a `rebootDevice` method job starting now. */
async function createRebootJob(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const { queryCondition } = (request.body ?? {}) as { queryCondition?: unknown };
  const jobId = `view-reboot-${randomUUID().slice(0, 8)}`;
  return putJob(
    ctx.rest,
    restRequest(
      ctx,
      { jobId },
      {
        jobId,
        type: 'scheduleDeviceMethod',
        queryCondition,
        cloudToDeviceMethod: {
          methodName: REBOOT_METHOD_NAME,
          payload: { reason: 'fleet reboot from the local hub web view' },
          responseTimeoutInSeconds: DEFAULT_RESPONSE_TIMEOUT_S,
        },
      },
    ),
  );
}

/** POST /api/jobs/{id}/cancel: POST /jobs/v2/{id}/cancel. */
function cancelViewJob(ctx: ViewContext, request: ViewRequest): Promise<RestResponse> {
  const { jobId } = request.params as { jobId: string };
  return cancelJob(ctx.rest, restRequest(ctx, { jobId }, undefined));
}

/** GET /api/jobs/{id}/devices: the job's rows of `devices.jobs` (status, result or error per device). */
function jobDevices(ctx: ViewContext, request: ViewRequest): RestResponse {
  const { jobId } = request.params as { jobId: string };
  ctx.rest.jobs.get(jobId); // JobNotFound for an unknown id
  const rows = ctx.rest.jobs.deviceJobRows().filter((row) => row.jobId === jobId);
  return { status: 200, body: rows };
}

/** POST /api/query {query, pageSize?, continuation?}: POST /devices/query, one page. */
function runQuery(ctx: ViewContext, request: ViewRequest): RestResponse {
  const body = (request.body ?? {}) as { query?: unknown; pageSize?: unknown; continuation?: unknown };
  const response = queryTwins(
    ctx.rest,
    restRequest(
      ctx,
      {},
      { query: body.query },
      {
        ...(typeof body.pageSize === 'number' ? { 'x-ms-max-item-count': String(body.pageSize) } : {}),
        ...(typeof body.continuation === 'string' ? { 'x-ms-continuation': body.continuation } : {}),
      },
    ),
  );
  return {
    status: 200,
    body: { items: response.body, continuation: response.headers?.['x-ms-continuation'] ?? null },
  };
}
