import { z } from 'zod';
import { HubError, type HubErrorName } from '../../errors';
import { applyBulkOperations, BULK_MODES, type BulkEntry } from '../../registry/bulk';
import type { DeviceInput } from '../../registry/devices';
import { toDeviceDocument } from '../../registry/documents';
import type { EdgeInput } from '../../registry/edge';
import { parseAuthentication } from '../../x509/device-authentication';
import { header, type RestContext, type RestRequest, type RestResponse } from './context';
import { parseBody } from './validation';

// The writable fields of a device, shared by the device document and the bulk entry.
const deviceFields = {
  status: z.enum(['enabled', 'disabled']).nullish(),
  capabilities: z.looseObject({ iotEdge: z.boolean().nullish() }).nullish(),
  deviceScope: z.string().max(512).nullish(),
  parentScopes: z.array(z.string().max(512)).max(10).nullish(),
  statusReason: z.string().max(128).nullish(),
  authentication: z
    .looseObject({
      type: z.string().nullish(),
      symmetricKey: z
        .looseObject({ primaryKey: z.string().nullish(), secondaryKey: z.string().nullish() })
        .nullish(),
      x509Thumbprint: z
        .looseObject({ primaryThumbprint: z.string().nullish(), secondaryThumbprint: z.string().nullish() })
        .nullish(),
    })
    .nullish(),
};

const deviceBody = z.looseObject({ deviceId: z.string(), ...deviceFields });

const bulkModes = new Map(BULK_MODES.map((mode) => [mode.toLowerCase(), mode]));

// An ExportImportDevice: `id` and `importMode` (any casing: the SDK sends `create`, `Update`, `Delete`).
// The service reads property names case-insensitively; the Node SDK sends a device's `etag` as is.
const bulkBody = z.array(
  z.looseObject({
    id: z.string(),
    importMode: z.string().transform((mode, ctx) => {
      const known = bulkModes.get(mode.toLowerCase());
      if (known === undefined) {
        ctx.addIssue({ code: 'custom', message: `unknown importMode "${mode}"` });
        return z.NEVER;
      }
      return known;
    }),
    eTag: z.string().nullish(),
    etag: z.string().nullish(),
    twinETag: z.string().nullish(),
    twinEtag: z.string().nullish(),
    tags: z.unknown().optional(),
    properties: z.looseObject({ desired: z.unknown().optional() }).nullish(),
    ...deviceFields,
  }),
);

const BULK_FAILURE: HubErrorName = 'BulkRegistryOperationFailure';

/** The writable fields of a device body; empty keys (as the SDK sends them) mean "generate" or "keep". */
function deviceInputOf(body: z.output<z.ZodObject<typeof deviceFields>>): DeviceInput {
  const auth = parseAuthentication(body.authentication);
  return {
    ...(body.status ? { status: body.status } : {}),
    ...(body.statusReason ? { statusReason: body.statusReason } : {}),
    ...(auth.kind === 'x509' ? { x509: auth.x509 } : {}),
    ...(auth.kind === 'sas' ? { x509: null } : {}),
    ...(auth.kind !== 'x509' && auth.primaryKey ? { primaryKey: auth.primaryKey } : {}),
    ...(auth.kind !== 'x509' && auth.secondaryKey ? { secondaryKey: auth.secondaryKey } : {}),
    ...edgeInputOf(body),
  };
}

/** `capabilities.iotEdge`, `deviceScope` and `parentScopes`; absent keeps, `null`/`''` clears a scope. */
function edgeInputOf(body: z.output<z.ZodObject<typeof deviceFields>>): EdgeInput {
  const iotEdge = body.capabilities?.iotEdge;
  return {
    ...(iotEdge === undefined || iotEdge === null ? {} : { iotEdge }),
    ...(body.deviceScope === undefined ? {} : { deviceScope: body.deviceScope }),
    ...(body.parentScopes === undefined ? {} : { parentScopes: body.parentScopes }),
  };
}

/** PUT /devices/{id}: creates without If-Match (409 if it exists), updates with If-Match (etag or `*`). */
export async function putDevice(ctx: RestContext, request: RestRequest<'deviceId'>): Promise<RestResponse> {
  const { deviceId } = request.params;
  const body = parseBody(deviceBody, request.body);
  if (body.deviceId !== deviceId) {
    throw new HubError('ArgumentInvalid', 'The deviceId in the body does not match the one in the URL.');
  }
  const input = deviceInputOf(body);
  const ifMatch = header(request, 'if-match');
  const device =
    ifMatch === undefined
      ? await ctx.registry.create(deviceId, input)
      : await ctx.registry.update(deviceId, input, ifMatch);
  return { status: 200, body: toDeviceDocument(device, ctx.sessions.presenceOf(deviceId)) };
}

/**
 * POST /devices: IoT Hub's bulk registry operation, up to 100 ExportImportDevice entries. 200 with
 * `isSuccessful: true` when all succeed; otherwise 400 with the same body listing each failed device.
 */
export async function bulkDevices(ctx: RestContext, request: RestRequest): Promise<RestResponse> {
  const entries: BulkEntry[] = parseBody(bulkBody, request.body).map((entry) => {
    let device: DeviceInput = {};
    let invalid: HubError | undefined;
    try {
      device = deviceInputOf(entry);
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      invalid = err;
    }
    const eTag = entry.eTag ?? entry.etag;
    const twinETag = entry.twinETag ?? entry.twinEtag;
    const desired = entry.properties?.desired;
    return {
      deviceId: entry.id,
      mode: entry.importMode,
      ...(eTag ? { eTag } : {}),
      ...(twinETag ? { twinETag } : {}),
      device,
      // null twin sections count as absent, as they do in a device document.
      twin: {
        ...(entry.tags === undefined || entry.tags === null ? {} : { tags: entry.tags }),
        ...(desired === undefined || desired === null ? {} : { properties: { desired } }),
      },
      ...(invalid ? { invalid } : {}),
    };
  });
  const result = await applyBulkOperations(
    {
      registry: ctx.registry,
      twins: ctx.twins,
      onUnexpected: (err, deviceId) => request.log.error({ err, deviceId }, 'bulk registry operation failed'),
    },
    entries,
  );
  return result.isSuccessful
    ? { status: 200, body: result }
    : { status: 400, body: result, headers: { 'iothub-errorcode': BULK_FAILURE } };
}

export function getDevice(ctx: RestContext, request: RestRequest<'deviceId'>): RestResponse {
  const device = ctx.registry.require(request.params.deviceId);
  return { status: 200, body: toDeviceDocument(device, ctx.sessions.presenceOf(device.deviceId)) };
}

export async function deleteDevice(
  ctx: RestContext,
  request: RestRequest<'deviceId'>,
): Promise<RestResponse> {
  await ctx.registry.remove(request.params.deviceId, header(request, 'if-match') ?? '*');
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
