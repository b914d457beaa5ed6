export { createServiceClients, type ServiceClients, type ServiceConnectionOptions } from './clients';
export {
  ConnectionStringError,
  parseServiceConnectionString,
  type ServiceConnectionInfo,
  type ServiceEndpoint,
} from './connection-string';
