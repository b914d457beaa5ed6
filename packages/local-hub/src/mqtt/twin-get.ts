import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { HubError } from '../errors';
import type { TwinRegistry } from '../registry/twins';
import { toDeviceTwinDocument } from '../twin';
import { sendToClient, twinErrorBody } from './reply';
import { twinResponseTopic } from './topics';

/** `$iothub/twin/GET/?$rid=R` → `$iothub/twin/res/200/?$rid=R` with the desired and reported sections. */
export function handleTwinGet(
  twins: TwinRegistry,
  client: Client,
  deviceId: string,
  rid: string,
  logger: Logger,
  answered?: () => void,
) {
  const twin = twins.get(deviceId);
  if (!twin) {
    const { status, body } = twinErrorBody(new HubError('DeviceNotFound', 'The device twin does not exist.'));
    sendToClient(client, twinResponseTopic(status, rid), body, logger, answered);
    return;
  }
  sendToClient(
    client,
    twinResponseTopic(200, rid),
    JSON.stringify(toDeviceTwinDocument(twin)),
    logger,
    answered,
  );
}
