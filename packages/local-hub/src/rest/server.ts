import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Logger } from 'pino';
import type { PolicyName } from '../auth/policies';
import { authorizeServiceRequest } from '../auth/service-auth';
import { HubError } from '../errors';
import { readJsonBody } from './body';
import { clientErrorResponse } from './client-error';
import { sendHubError, toHubError } from './errors';
import type { RestContext, RestRequest, RestResponse } from './handlers/context';
import { deleteDevice, getDevice, listDevices, putDevice } from './handlers/devices';
import { cancelJob, getJob, putJob, queryJobs } from './handlers/jobs';
import { invokeMethod } from './handlers/methods';
import { queryTwins } from './handlers/query';
import { getTwin, patchTwin, putTwin } from './handlers/twins';
import { requestUrl } from './request-url';
import { matchRoute, type RouteName } from './router';

export interface RestServerOptions {
  hostName: string;
  bindAddress: string;
  port: number;
  tls: { cert: string; key: string };
  policyKeys: Readonly<Record<PolicyName, string>>;
  context: RestContext;
  logger: Logger;
}

export interface RestServer {
  port: number;
  close(): Promise<void>;
}

type Handler = (ctx: RestContext, request: RestRequest) => RestResponse | Promise<RestResponse>;

const HANDLERS: Record<RouteName, Handler> = {
  health: () => ({ status: 200, body: { status: 'ok' } }),
  putDevice,
  getDevice,
  deleteDevice,
  listDevices,
  getTwin,
  patchTwin,
  putTwin,
  invokeMethod,
  query: queryTwins,
  putJob,
  getJob,
  cancelJob,
  queryJobs,
};

// azure-iothub keeps sockets alive with no idle timeout of its own; Node's 5 s default would make a call
// after a pause fail with "socket hang up". headersTimeout must exceed keepAliveTimeout.
const KEEP_ALIVE_MS = 10 * 60_000;
const HEADERS_TIMEOUT_MS = KEEP_ALIVE_MS + 5_000;
// Method calls wait up to 300 s for the device to connect plus 300 s for its answer.
const REQUEST_TIMEOUT_MS = 11 * 60_000;

/** The service-facing HTTPS API: IoT Hub's registry, twin, method and query routes. */
export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const { logger } = options;
  const server: Server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: 'TLSv1.2',
      keepAliveTimeout: KEEP_ALIVE_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
    },
    (req, res) => {
      handle(options, req, res).catch((err: unknown) => {
        logger.error({ err }, 'request handling failed');
        res.destroy();
      });
    },
  );
  server.on('tlsClientError', (err) => logger.debug({ err }, 'TLS handshake failed'));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Never log the error itself: its rawPacket holds the request bytes, Authorization header included.
    logger.debug({ code: err.code }, 'malformed HTTP request');
    // A response still being produced for an earlier request finishes first; Node then closes or reuses.
    if ((socket as { _httpMessage?: unknown })._httpMessage) return;
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // end, not destroy: a response already queued on this socket must still reach the client.
    socket.end(clientErrorResponse(err), () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: RestServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const log = options.logger.child({ method: req.method, path: req.url?.split('?')[0] });
  try {
    const url = requestUrl(req.url);
    const route = matchRoute(req.method ?? '', url.pathname);
    if (route.kind === 'not-found') throw new HubError('NotFound', `No route for ${url.pathname}.`);
    if (route.kind === 'method-not-allowed') {
      throw new HubError('MethodNotAllowed', `${req.method} is not supported on ${url.pathname}.`);
    }
    if (route.permissions.length > 0) {
      authorizeServiceRequest(req.headers.authorization, route.permissions, {
        hostName: options.hostName,
        policyKeys: options.policyKeys,
        nowSeconds: Math.floor(Date.now() / 1000),
      });
      if (!url.searchParams.get('api-version')) {
        throw new HubError('InvalidProtocolVersion', 'The api-version query parameter is required.');
      }
    }
    const body = await readJsonBody(req);
    const response = await HANDLERS[route.name](options.context, {
      deviceId: route.deviceId,
      jobId: route.jobId,
      body,
      headers: req.headers,
      query: url.searchParams,
    });
    send(res, response);
    log.debug({ status: response.status }, 'request served');
  } catch (err) {
    const error = toHubError(err);
    if (error.status >= 500 && error.errorName === 'ServerError') log.error({ err }, 'request failed');
    else log.debug({ status: error.status, code: error.errorName }, 'request refused');
    // An oversized body is left unread: close the connection rather than drain it.
    if (error.errorName === 'MessageTooLarge') res.setHeader('connection', 'close');
    sendHubError(res, error);
  }
}

function send(res: ServerResponse, response: RestResponse): void {
  const text = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    ...response.headers,
  });
  res.end(text);
}
