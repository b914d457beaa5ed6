/**
 * Contracts of the remote-reboot pattern: everything that crosses a process boundary between the
 * service, IoT Hub and the device is parsed through these schemas.
 * @packageDocumentation
 */
export { type Clock, sleep, systemClock } from './clock';
export { ContractError, type ParseResult } from './errors';
export { jsonByteLength, LIMITS } from './limits';
export {
  type PendingReboot,
  PendingRebootSchema,
  safeParsePendingReboot,
} from './pending-reboot';
export {
  parseRebootRequest,
  REBOOT_METHOD_NAME,
  type RebootRequest,
  RebootRequestSchema,
  safeParseRebootRequest,
} from './reboot-request';
export {
  parseRebootResponse,
  REBOOT_RESULT_STATUS,
  type RebootMethodAnswer,
  type RebootResponse,
  RebootResponseSchema,
  type RebootResult,
  rebootAnswer,
  safeParseRebootResponse,
} from './reboot-response';
export {
  buildRebootStateReport,
  CorrelationIdSchema,
  REBOOT_STATUSES,
  RebootedSectionSchema,
  type RebootStateInput,
  type RebootStatePatch,
  type RebootStateRead,
  RebootStateSectionSchema,
  type RebootStatus,
  readRebootState,
  readRebootStateFromTwin,
} from './reboot-state';
export {
  buildRebootReport,
  type LastReboot,
  type RebootReport,
  type RebootReportExtras,
  RebootReportSchema,
  readLastReboot,
  readLastRebootFromTwin,
} from './reported-properties';
export { redactDeep, redactSecrets } from './secrets';
