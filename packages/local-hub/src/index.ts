export { POLICY_NAMES, type PolicyName, WELL_KNOWN_OWNER_KEY } from './auth/policies';
export type { ServerKeyType } from './certificates';
export { ConfigError, DEFAULTS, type LocalHubOptions } from './config';
export {
  type ConnectionFile,
  ConnectionFileError,
  readConnectionFile,
} from './connection-file';
export { formatDeviceConnectionString } from './connection-strings';
export { type LocalHub, type LocalHubDevice, type LocalHubModule, startLocalHub } from './hub';
export type { DeviceJobStatus, JobStatus, JobType } from './jobs/model';
export { StoreCorruptError } from './persistence/store';
/** IoT Hub's throttles by tier (`quota` option): the table, the tiers and the operation classes it meters. */
export {
  type OperationClass,
  parseQuotaSpec,
  QUOTA_TABLE,
  QUOTA_TIERS,
  type QuotaSpec,
  type QuotaTier,
} from './quota/rates';
export type { DeviceInput, DeviceStatus } from './registry/devices';
export type { ModuleInput } from './registry/modules';
export type { X509Authentication } from './x509/device-authentication';
export {
  type IssuedCa,
  type IssuedCertificate,
  type IssueOptions,
  issueCaCertificate,
  issueDeviceCertificate,
  issueVerificationCertificate,
} from './x509/issue';
