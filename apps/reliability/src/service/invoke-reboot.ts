import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import type { Client } from 'azure-iothub';
import { rebootPayload } from '../fleet/device-fleet';
import { type CallOutcome, classifyCallError } from './call-outcome';

/** Bounds of one reboot call, as IoT Hub takes them. */
export interface RebootCallOptions {
  /** 5–300; default 10. */
  responseTimeoutInSeconds?: number;
  /** 0–300; default 0 (fail at once when the device is offline). */
  connectTimeoutInSeconds?: number;
  /**
   * Filler bytes added to the payload (`padding`), so the call costs more of IoT Hub's 4 KB direct-method
   * meters (quota runs); default none.
   */
  paddingBytes?: number;
}

/** Invokes the reboot method with a payload naming `callId`; always resolves with how the call ended. */
export async function invokeReboot(
  client: Pick<Client, 'invokeDeviceMethod'>,
  deviceId: string,
  callId: string,
  options: RebootCallOptions = {},
): Promise<CallOutcome> {
  try {
    const { result } = await client.invokeDeviceMethod(deviceId, {
      methodName: REBOOT_METHOD_NAME,
      payload: options.paddingBytes
        ? { ...rebootPayload(callId), padding: 'x'.repeat(options.paddingBytes) }
        : rebootPayload(callId),
      responseTimeoutInSeconds: options.responseTimeoutInSeconds ?? 10,
      connectTimeoutInSeconds: options.connectTimeoutInSeconds ?? 0,
    });
    const answer = result as { status?: unknown; payload?: unknown };
    return {
      kind: 'answered',
      status: typeof answer.status === 'number' ? answer.status : 0,
      payload: answer.payload,
    };
  } catch (err) {
    return classifyCallError(err);
  }
}
