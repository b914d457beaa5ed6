import { z } from 'zod';
import type { ServiceTwinUpdate } from '../../registry/twins';
import type { TwinRecord } from '../../twin';
import { header, type RestContext, type RestRequest, type RestResponse } from './context';
import { parseBody } from './validation';

// Other twin fields the SDK echoes back (deviceId, etag, version, reported…) are ignored like on IoT Hub.
const twinUpdate = z.looseObject({
  tags: z.unknown().optional(),
  properties: z.looseObject({ desired: z.unknown().optional() }).optional(),
});

export function getTwin(ctx: RestContext, request: RestRequest<'deviceId'>): RestResponse {
  const { deviceId } = request.params;
  ctx.registry.require(deviceId);
  return twinResponse(ctx, ctx.twins.require(deviceId));
}

/** PATCH /twins/{id}: merge tags and desired properties; If-Match (absent = `*`) → 412 on mismatch. */
export async function patchTwin(ctx: RestContext, request: RestRequest<'deviceId'>): Promise<RestResponse> {
  const { deviceId } = request.params;
  ctx.registry.require(deviceId);
  const update = parseBody(twinUpdate, request.body) as ServiceTwinUpdate;
  const twin = await ctx.twins.patchFromService(deviceId, update, header(request, 'if-match') ?? '*');
  return twinResponse(ctx, twin);
}

/** PUT /twins/{id}: replace tags and desired properties. */
export async function putTwin(ctx: RestContext, request: RestRequest<'deviceId'>): Promise<RestResponse> {
  const { deviceId } = request.params;
  ctx.registry.require(deviceId);
  const update = parseBody(twinUpdate, request.body) as ServiceTwinUpdate;
  const twin = await ctx.twins.replaceFromService(deviceId, update, header(request, 'if-match') ?? '*');
  return twinResponse(ctx, twin);
}

function twinResponse(ctx: RestContext, twin: TwinRecord): RestResponse {
  return { status: 200, body: ctx.twinViews.render(twin), headers: { etag: `"${twin.etag}"` } };
}
