import { z } from 'zod';
import { HubError } from '../../errors';
import type { DeviceInput } from '../../registry/devices';
import { toDeviceDocument } from '../../registry/documents';
import { deviceIdOf, header, type RestContext, type RestRequest, type RestResponse } from './context';
import { parseBody } from './validation';

const deviceBody = z.looseObject({
  deviceId: z.string(),
  status: z.enum(['enabled', 'disabled']).optional(),
  statusReason: z.string().max(128).nullish(),
  authentication: z
    .looseObject({
      type: z.string().optional(),
      symmetricKey: z
        .looseObject({ primaryKey: z.string().nullish(), secondaryKey: z.string().nullish() })
        .nullish(),
    })
    .optional(),
});

/** PUT /devices/{id}: creates without If-Match (409 if it exists), updates with If-Match (etag or `*`). */
export async function putDevice(ctx: RestContext, request: RestRequest): Promise<RestResponse> {
  const deviceId = deviceIdOf(request);
  const body = parseBody(deviceBody, request.body);
  if (body.deviceId !== deviceId) {
    throw new HubError('ArgumentInvalid', 'The deviceId in the body does not match the one in the URL.');
  }
  const type = body.authentication?.type;
  if (type !== undefined && type !== 'sas') {
    throw new HubError('ArgumentInvalid', `Authentication type "${type}" is not supported; use "sas".`);
  }
  const input: DeviceInput = {
    ...(body.status ? { status: body.status } : {}),
    ...(body.statusReason ? { statusReason: body.statusReason } : {}),
    ...(body.authentication?.symmetricKey?.primaryKey
      ? { primaryKey: body.authentication.symmetricKey.primaryKey }
      : {}),
    ...(body.authentication?.symmetricKey?.secondaryKey
      ? { secondaryKey: body.authentication.symmetricKey.secondaryKey }
      : {}),
  };
  const ifMatch = header(request, 'if-match');
  const device =
    ifMatch === undefined
      ? await ctx.registry.create(deviceId, input)
      : await ctx.registry.update(deviceId, input, ifMatch);
  return { status: 200, body: toDeviceDocument(device, ctx.sessions.presenceOf(deviceId)) };
}

export function getDevice(ctx: RestContext, request: RestRequest): RestResponse {
  const device = ctx.registry.require(deviceIdOf(request));
  return { status: 200, body: toDeviceDocument(device, ctx.sessions.presenceOf(device.deviceId)) };
}

export async function deleteDevice(ctx: RestContext, request: RestRequest): Promise<RestResponse> {
  await ctx.registry.remove(deviceIdOf(request), header(request, 'if-match') ?? '*');
  return { status: 204 };
}

/** GET /devices[?top=n]: IoT Hub returns at most 1000. */
export function listDevices(ctx: RestContext, request: RestRequest): RestResponse {
  const top = Number(request.query.get('top') ?? 1000);
  if (!Number.isInteger(top) || top < 1 || top > 1000) {
    throw new HubError('ArgumentInvalid', 'top must be an integer from 1 to 1000.');
  }
  const devices = ctx.registry
    .list()
    .slice(0, top)
    .map((device) => toDeviceDocument(device, ctx.sessions.presenceOf(device.deviceId)));
  return { status: 200, body: devices };
}
