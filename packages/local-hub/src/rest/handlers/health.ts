import { HUB_FEATURES, hubVersion } from '../../features';
import type { RestResponse } from './context';

/** `GET /health`: no auth, what scripts wait on; it names the version and the features (not an IoT Hub route). */
export function health(): RestResponse {
  return { status: 200, body: { status: 'ok', version: hubVersion(), ...HUB_FEATURES } };
}
