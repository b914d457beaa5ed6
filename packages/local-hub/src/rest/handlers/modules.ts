import { z } from 'zod';
import { HubError } from '../../errors';
import { parseMethodRequest } from '../../methods/request';
import { identityKey } from '../../registry/identity';
import { toModuleDocument } from '../../registry/module-documents';
import type { ModuleInput } from '../../registry/modules';
import type { ServiceTwinUpdate } from '../../registry/twins';
import type { TwinRecord } from '../../twin';
import { header, type RestContext, type RestRequest, type RestResponse } from './context';
import { parseBody } from './validation';

type ModuleParams = 'deviceId' | 'moduleId';

// What azure-iothub's Registry.addModule/updateModule send: the Module, authentication normalised to sas
// with empty keys when absent (its `_normalizeAuthentication`).
const moduleBody = z.looseObject({
  deviceId: z.string(),
  moduleId: z.string(),
  managedBy: z.string().max(128).nullish(),
  authentication: z
    .looseObject({
      type: z.string().nullish(),
      symmetricKey: z
        .looseObject({ primaryKey: z.string().nullish(), secondaryKey: z.string().nullish() })
        .nullish(),
    })
    .nullish(),
});

const twinUpdate = z.looseObject({
  tags: z.unknown().optional(),
  properties: z.looseObject({ desired: z.unknown().optional() }).optional(),
});

function moduleInputOf(body: z.output<typeof moduleBody>): ModuleInput {
  const type = body.authentication?.type;
  if (type !== undefined && type !== null && type !== 'sas') {
    throw new HubError('ArgumentInvalid', `Authentication type "${type}" is not supported; use "sas".`);
  }
  const keys = body.authentication?.symmetricKey;
  return {
    ...(body.managedBy ? { managedBy: body.managedBy } : {}),
    ...(keys?.primaryKey ? { primaryKey: keys.primaryKey } : {}),
    ...(keys?.secondaryKey ? { secondaryKey: keys.secondaryKey } : {}),
  };
}

function moduleResponse(ctx: RestContext, status: number, deviceId: string, moduleId: string) {
  const module = ctx.modules.require(deviceId, moduleId);
  const presence = ctx.sessions.presenceOf(identityKey(deviceId, moduleId));
  return { status, body: toModuleDocument(module, presence) };
}

/** PUT /devices/{id}/modules/{mid}: creates without If-Match (409 if it exists), updates with If-Match. */
export async function putModule(ctx: RestContext, request: RestRequest<ModuleParams>): Promise<RestResponse> {
  const { deviceId, moduleId } = request.params;
  const body = parseBody(moduleBody, request.body);
  if (body.deviceId !== deviceId || body.moduleId !== moduleId) {
    throw new HubError(
      'ArgumentInvalid',
      'The deviceId and moduleId in the body do not match the ones in the URL.',
    );
  }
  const input = moduleInputOf(body);
  const ifMatch = header(request, 'if-match');
  if (ifMatch === undefined) await ctx.modules.create(deviceId, moduleId, input);
  else await ctx.modules.update(deviceId, moduleId, input, ifMatch);
  return moduleResponse(ctx, 200, deviceId, moduleId);
}

export function getModule(ctx: RestContext, request: RestRequest<ModuleParams>): RestResponse {
  return moduleResponse(ctx, 200, request.params.deviceId, request.params.moduleId);
}

/** GET /devices/{id}/modules: every module of the device (404 DeviceNotFound for a missing device). */
export function listModules(ctx: RestContext, request: RestRequest<'deviceId'>): RestResponse {
  const modules = ctx.modules
    .listOn(request.params.deviceId)
    .map((module) =>
      toModuleDocument(module, ctx.sessions.presenceOf(identityKey(module.deviceId, module.moduleId))),
    );
  return { status: 200, body: modules };
}

export async function deleteModule(
  ctx: RestContext,
  request: RestRequest<ModuleParams>,
): Promise<RestResponse> {
  const { deviceId, moduleId } = request.params;
  await ctx.modules.remove(deviceId, moduleId, header(request, 'if-match') ?? '*');
  return { status: 204 };
}

/**
 * What every module twin and method route starts with: the module must exist (404 DeviceNotFound /
 * ModuleNotFound), and its twin and connection are keyed `<deviceId>/<moduleId>`.
 */
function existingModuleKey(ctx: RestContext, request: RestRequest<ModuleParams>): string {
  const { deviceId, moduleId } = request.params;
  ctx.modules.require(deviceId, moduleId);
  return identityKey(deviceId, moduleId);
}

export function getModuleTwin(ctx: RestContext, request: RestRequest<ModuleParams>): RestResponse {
  return twinResponse(ctx, ctx.twins.require(existingModuleKey(ctx, request)));
}

/** PATCH /twins/{id}/modules/{mid}: merges tags and desired properties; If-Match → 412 on mismatch. */
export async function patchModuleTwin(
  ctx: RestContext,
  request: RestRequest<ModuleParams>,
): Promise<RestResponse> {
  const key = existingModuleKey(ctx, request);
  const update = parseBody(twinUpdate, request.body) as ServiceTwinUpdate;
  return twinResponse(ctx, await ctx.twins.patchFromService(key, update, header(request, 'if-match') ?? '*'));
}

/** PUT /twins/{id}/modules/{mid}: replaces tags and desired properties. */
export async function putModuleTwin(
  ctx: RestContext,
  request: RestRequest<ModuleParams>,
): Promise<RestResponse> {
  const key = existingModuleKey(ctx, request);
  const update = parseBody(twinUpdate, request.body) as ServiceTwinUpdate;
  return twinResponse(
    ctx,
    await ctx.twins.replaceFromService(key, update, header(request, 'if-match') ?? '*'),
  );
}

/**
 * POST /twins/{id}/modules/{mid}/methods (`Client.invokeDeviceMethod(deviceId, moduleId, params)`): the
 * same request rules, timeouts and answers as a device's method, delivered to the module's connection.
 */
export async function invokeModuleMethod(
  ctx: RestContext,
  request: RestRequest<ModuleParams>,
): Promise<RestResponse> {
  const key = existingModuleKey(ctx, request);
  const invocation = parseMethodRequest(request.body);
  const result = await ctx.invoker.invoke(key, invocation);
  return { status: 200, body: { status: result.status, payload: result.payload } };
}

function twinResponse(ctx: RestContext, twin: TwinRecord): RestResponse {
  return { status: 200, body: ctx.moduleTwinViews.render(twin), headers: { etag: `"${twin.etag}"` } };
}
