import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { toHubError } from '../error-translation';

/**
 * Sends a QoS 0 packet to this one client. Hub replies never go through the broker: every device subscribes
 * to the same `$iothub/...` filters, so a broker-wide publish would reach all of them. `sent` runs once the
 * packet is written, or could not be: aedes calls back after the socket drained when its buffer was full,
 * so a client that does not read its answers keeps its requests in flight (backpressure, twin-request-gate).
 */
export function sendToClient(
  client: Client,
  topic: string,
  payload: string | Buffer,
  logger: Logger,
  sent?: () => void,
): void {
  client.publish({ cmd: 'publish', topic, payload, qos: 0, dup: false, retain: false }, (err) => {
    if (err) logger.warn({ err, topic }, 'could not deliver to the device');
    sent?.();
  });
}

/** The twin error body the device SDK recognises (`errorCode`), with IoT Hub's numeric code. */
export function twinErrorBody(err: unknown): { status: number; body: string } {
  const hubError = toHubError(err);
  return {
    status: hubError.status,
    body: JSON.stringify({ errorCode: hubError.code, message: hubError.message }),
  };
}
