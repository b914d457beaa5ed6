/**
 * Bounded polling of device twins: a generic `pollUntil` core, a `Registry.getTwin` adapter that waits
 * for a reboot reported after the request, and a twin-query mode for fleets.
 * @packageDocumentation
 */
export { type BackoffOptions, fullJitterDelay, parseRetryAfter } from './backoff';
export { classifyIotHubError, type ErrorClassification, type ErrorClassifier } from './classify';
export { type Clock, systemClock } from './clock';
export {
  type ClockRule,
  type ConfirmationRule,
  type ConfirmCriteria,
  checkRebootConfirmed,
  newCorrelationId,
  type RebootConfirmation,
  type RebootConfirmed,
  type RebootReportedFailed,
  rebootConfirmed,
  withCorrelationId,
} from './confirm';
export { buildDeviceQueries, buildDeviceQuery, MAX_QUERY_BYTES, quoteDeviceId } from './device-ids';
export {
  CapturedError,
  PollAbortedError,
  PollFatalError,
  PollOptionsError,
  type PollProgress,
  PollTimeoutError,
  type PollTimeoutReason,
  ReadTimeoutError,
  RebootFailedError,
} from './errors';
export { type FleetPollOptions, type FleetProgress, pollQueryUntil } from './fleet';
export { type RebootWritten, rebootWrittenAfter } from './hub-clock';
export { type IotHubErrorFacts, readIotHubError } from './hub-error-facts';
export {
  type AttemptReport,
  POLL_DEFAULTS,
  type PollCheck,
  type PollControl,
  type PollOptions,
  type PollResult,
  pollUntil,
} from './poll';
export { QueryResponseError, readAllPages, type TwinQuery, type TwinQuerySource } from './query-pages';
export {
  checkRebootAfter,
  DEFAULT_CLOCK_SKEW_MS,
  pollTwinUntilRebooted,
  type RebootCriteria,
  type RebootObserved,
  type RebootPollOptions,
  rebootReportedAfter,
  type TwinSource,
} from './reboot';
