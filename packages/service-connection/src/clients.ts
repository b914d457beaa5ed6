import { readFileSync } from 'node:fs';
import { Amqp, Client, JobClient, Registry, SharedAccessSignature } from 'azure-iothub';
import { RestApiClient } from 'azure-iothub/dist/common-http/rest_api_client';
import { parseServiceConnectionString } from './connection-string';
import { GatewayHttp } from './gateway-http';

/** Options of {@link createServiceClients}. */
export interface ServiceConnectionOptions {
  /** Extra CA to trust instead of the system store: PEM text or the path of a PEM file. */
  ca?: string | Buffer;
}

/** The service clients of one hub, sharing one connection setup. */
export interface ServiceClients {
  registry: Registry;
  client: Client;
  jobClient: JobClient;
  /** The IoT Hub host name (the SAS resource), not the gateway. */
  hostName: string;
  /** Closes the service client and the keep-alive sockets of all three. */
  close(): Promise<void>;
}

// The SDK reports itself with this user agent; we keep a recognisable one of our own.
const USER_AGENT = '@iothub-reboot/service-connection';
const SAS_LIFETIME_SECONDS = 3600;

/**
 * Registry, Client and JobClient over HTTPS to the hub the connection string names (real hub: 443, system
 * CAs), or to its `GatewayHostName` (e.g. the local hub) with `options.ca` trusted.
 */
export function createServiceClients(cs: string, options: ServiceConnectionOptions = {}): ServiceClients {
  const info = parseServiceConnectionString(cs);
  const ca = loadCa(options.ca);
  const expiry = Math.ceil(Date.now() / 1000) + SAS_LIFETIME_SECONDS;
  // The same configuration the SDK's fromConnectionString builds; the RestApiClient re-signs per request.
  const config = {
    host: info.hostName,
    keyName: info.sharedAccessKeyName,
    sharedAccessSignature: SharedAccessSignature.create(
      info.hostName,
      info.sharedAccessKeyName,
      info.sharedAccessKey,
      expiry,
    ),
  };
  const transports: GatewayHttp[] = [];
  const restClient = (): RestApiClient => {
    const http = new GatewayHttp(info.endpoint, ca);
    transports.push(http);
    return new RestApiClient({ ...config }, USER_AGENT, http);
  };
  const registry = new Registry({ ...config }, restClient());
  // Amqp does no I/O until open(); invokeDeviceMethod and the twin calls use the REST client only.
  const client = new Client(new Amqp({ ...config }), restClient());
  const jobClient = new JobClient(restClient());
  return {
    registry,
    client,
    jobClient,
    hostName: info.hostName,
    async close() {
      try {
        await client.close();
      } finally {
        for (const http of transports) http.destroy();
      }
    },
  };
}

function loadCa(ca: string | Buffer | undefined): string | Buffer | undefined {
  if (ca === undefined || Buffer.isBuffer(ca) || ca.includes('-----BEGIN')) return ca;
  return readFileSync(ca, 'utf8');
}
