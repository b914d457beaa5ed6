import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { HubError } from '../errors';
import type { TwinRegistry } from '../registry/twins';
import { sendToClient, twinErrorBody } from './reply';
import { twinResponseTopic } from './topics';

/**
 * `$iothub/twin/PATCH/properties/reported/?$rid=R` → once the patch is durable,
 * `$iothub/twin/res/204/?$rid=R&$version=V`; a refused patch gets a 400 with an `errorCode` body.
 */
export async function handleReportedPatch(
  twins: TwinRegistry,
  client: Client,
  deviceId: string,
  rid: string,
  payload: Buffer,
  logger: Logger,
  answered?: () => void,
): Promise<void> {
  try {
    const twin = await twins.patchReported(deviceId, parseJson(payload));
    sendToClient(client, twinResponseTopic(204, rid, twin.reported.version), '', logger, answered);
  } catch (err) {
    if (!(err instanceof HubError)) logger.error({ err, deviceId }, 'reported properties update failed');
    const { status, body } = twinErrorBody(err);
    sendToClient(client, twinResponseTopic(status, rid), body, logger, answered);
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw new HubError('ArgumentInvalid', 'The reported properties patch is not valid JSON.');
  }
}
