import { parseServiceConnectionString } from '@iothub-reboot/service-connection';
import { createSasToken } from '../auth/sas';
import { sendRequest } from '../http-request';

/** An answer of the hub's REST API: status and parsed JSON body (undefined when empty or not JSON). */
export interface HubResponse {
  status: number;
  json: unknown;
}

/**
 * A REST call to the hub for what azure-iothub has no client for (the `/certificates` API), signed like
 * the SDK signs (the hub's own `createSasToken`, which builds tokens as azure-iot-common does): a fresh
 * service SAS per request, from the connection string's policy key. The token is
 * never printed; failures carry the hub's message only.
 */
export function hubRest(serviceConnectionString: string, ca: string) {
  const info = parseServiceConnectionString(serviceConnectionString);
  return (
    method: string,
    path: string,
    options: { body?: unknown; ifMatch?: string } = {},
  ): Promise<HubResponse> => {
    const expiry = Math.floor(Date.now() / 1000) + 300;
    const sas = createSasToken(info.hostName, info.sharedAccessKey, expiry, info.sharedAccessKeyName);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return sendRequest(
      {
        host: info.endpoint.host,
        port: info.endpoint.port,
        method,
        path: `${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`,
        ca,
        headers: {
          authorization: sas,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }),
        },
      },
      body,
    );
  };
}

/** The text of IoT Hub's error body (`ErrorCode:<Name>;<text>`), for a message a person reads. */
export function hubErrorText(response: HubResponse): string {
  const message = (response.json as { Message?: unknown } | undefined)?.Message;
  return typeof message === 'string' ? message.replace(/^ErrorCode:/, '') : `HTTP ${response.status}`;
}
