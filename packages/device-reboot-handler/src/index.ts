/**
 * Device side of the remote-reboot pattern: answer the reboot direct method, reboot, and report the
 * reboot time in the device twin, with a persisted record so a real restart is still reported once.
 * @packageDocumentation
 */
export type {
  ConnectionEvents,
  DeviceMethodClient,
  MethodClient,
  MethodRequest,
  MethodResponse,
  ModuleMethodClient,
  RebootHandlerClient,
  ReportableTwin,
  TwinClient,
} from './client';
export { type Clock, systemClock } from './clock';
export {
  OperationTimeoutError,
  PendingRebootStoreError,
  RebootHandlerError,
  RetriesExhaustedError,
} from './errors';
export { createFileRebootStore } from './file-store';
export { RESPONSE_MODES, type ResponseMode } from './flow';
export {
  attachRebootHandler,
  type RebootActionRequest,
  type RebootHandler,
  type RebootHandlerOptions,
} from './handler';
export {
  type ConnectionKeeper,
  DEFAULT_RECONNECT_BACKOFF,
  isFatalOpenFailure,
  type KeepConnectedOptions,
  keepConnected,
  OpenAbortedError,
  type OpenRetryOptions,
  openWithRetry,
  type ReconnectableClient,
  type ReconnectBackoff,
} from './keep-connected';
export { classifyOpenFailure, type OpenFailureKind } from './open-failure';
export type { ReportingOptions } from './options';
export type { PendingReportOutcome } from './pending';
export { DEFAULT_RETRY, isThrottlingError, type RetrySettings } from './retry';
export { reportPendingReboot } from './startup';
export { createMemoryRebootStore, type PendingRebootStore } from './store';
