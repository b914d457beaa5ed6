export { createServiceClients, type ServiceClients, type ServiceConnectionOptions } from './clients';
export {
  ConnectionStringError,
  parseServiceConnectionString,
  redactConnectionString,
  type ServiceConnectionInfo,
  type ServiceEndpoint,
} from './connection-string';
