/** IoT Hub limits that apply to the reboot contracts (Azure IoT Hub quotas and throttling). */
export const LIMITS = {
  /** A direct method's request or response payload, serialized as JSON. */
  methodPayloadBytes: 128 * 1024,
  /** The reported-properties section of a device twin. */
  reportedPropertiesBytes: 32 * 1024,
  /** Longest accepted free-text `reason` for a reboot. */
  reasonLength: 256,
  /** Longest accepted `delaySeconds` for a reboot (one hour). */
  maxDelaySeconds: 3600,
  /** Longest correlation id a request may carry (the device echoes it in the twin). */
  correlationIdLength: 128,
  /** Longest failure reason a device reports under `iothubDM.reboot.reason`. */
  failureReasonLength: 256,
} as const;

/**
 * Size of `value` serialized as JSON, in UTF-8 bytes (how IoT Hub meters payloads), or `undefined`
 * when it cannot be serialized (cycles, BigInt).
 */
export function jsonByteLength(value: unknown): number | undefined {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  } catch {
    return undefined;
  }
}
