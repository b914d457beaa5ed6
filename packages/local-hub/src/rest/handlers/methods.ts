import { parseMethodRequest } from '../../methods/request';
import type { RestContext, RestRequest, RestResponse } from './context';

/** POST /twins/{id}/methods: the device's answer as `{status, payload}`, or IoT Hub's error. */
export async function invokeMethod(
  ctx: RestContext,
  request: RestRequest<'deviceId'>,
): Promise<RestResponse> {
  const invocation = parseMethodRequest(request.body);
  const result = await ctx.invoker.invoke(request.params.deviceId, invocation);
  return { status: 200, body: { status: result.status, payload: result.payload } };
}
