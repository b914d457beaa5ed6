/**
 * Reliability under faults: a fault-injecting TCP proxy, a fleet of real SDK devices running the
 * reboot handler, the local hub as a killable process, and the soak run behind `pnpm soak`.
 * @packageDocumentation
 */
export {
  type DeviceFleet,
  type DeviceFleetOptions,
  type FleetDevice,
  FleetStartError,
  rebootPayload,
  startDeviceFleet,
} from './fleet/device-fleet';
export { ConnectionStringShapeError, withGateway } from './fleet/gateway';
export { type DeviceEndpoint, ProvisionError, provisionDevices } from './fleet/provision';
export {
  freePorts,
  type HubProcess,
  HubProcessError,
  type HubProcessOptions,
  startHubProcess,
} from './hub/hub-process';
export { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './proxy/fault-proxy';
export {
  type ChunkPlan,
  type Direction,
  type LinkMode,
  type LinkState,
  newLink,
  planChunk,
} from './proxy/link-plan';
export { type CallOutcome, classifyCallError } from './service/call-outcome';
export { invokeReboot, type RebootCallOptions } from './service/invoke-reboot';
export { formatSoakReport, runSoak, type SoakReport } from './soak/run-soak';
export { parseSoakOptions, SOAK_USAGE, type SoakSettings } from './soak/soak-options';
export { newTally, type SoakTally, tallyCall, unexpectedCount } from './soak/soak-tally';
