import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Logger } from 'pino';
import type { PolicyName } from '../auth/policies';
import { authorizeServiceRequest } from '../auth/service-auth';
import { toHubError } from '../error-translation';
import { HubError } from '../errors';
import type { UpgradeHandler } from '../mqtt/websocket';
import { QuerySnapshots } from '../query/snapshots';
import type { OperationClass } from '../quota/rates';
import type { HubThrottle } from '../quota/throttle';
import { listenTls, type ServerTls, tlsServerOptions } from '../tls-listener';
import { readJsonBody } from './body';
import { clientErrorResponse } from './client-error';
import { sendHubError } from './errors';
import type { HandlerContext, RestContext, RestResponse } from './handlers/context';
import { requestUrl } from './request-url';
import { matchRoute } from './router';

export interface RestServerOptions {
  hostName: string;
  bindAddress: string;
  port: number;
  tls: ServerTls;
  policyKeys: Readonly<Record<PolicyName, string>>;
  /** The hub's services; the server adds the state its handlers share (see HandlerContext). */
  context: RestContext;
  /** Longest a client may take for its TLS handshake, or to send a request once connected or started. */
  slowClientTimeoutMs: number;
  /** IoT Hub's operation throttles (off unless the hub runs with a quota). */
  throttle: HubThrottle;
  /** Takes HTTP upgrade requests (MQTT over WebSockets), which IoT Hub serves on its HTTPS port too. */
  upgrade: UpgradeHandler;
  logger: Logger;
}

export interface RestServer {
  port: number;
  close(): Promise<void>;
}

// azure-iothub keeps sockets alive with no idle timeout of its own; Node's 5 s default would make a call
// after a pause fail with "socket hang up". Node (>= 18) starts headersTimeout and requestTimeout at the
// first byte of a request and stops them once it is received, so neither counts keep-alive idle time nor
// the minutes a method call may take to answer: both can be short, which is what stops slowloris.
const KEEP_ALIVE_MS = 10 * 60_000;

/** The service-facing HTTPS API: IoT Hub's registry, twin, method and query routes. */
export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const { logger, slowClientTimeoutMs: slowMs } = options;
  // How often Node looks for requests over their timeouts (default 30 s, coarser than the timeout).
  const checkInterval = Math.min(1_000, slowMs);
  // State the handlers share lives as long as this server: one hub, one set of remembered query runs.
  const context: HandlerContext = { ...options.context, querySnapshots: new QuerySnapshots() };
  const server: Server = createServer(
    {
      ...tlsServerOptions(options.tls, slowMs),
      // MQTT over WebSockets shares this port, and an X.509 device proves itself with its TLS client
      // certificate, so every client is asked for one, as on the MQTT port; none is required (services
      // and SAS devices send none) and OpenSSL's chain check is replaced by authenticateX509Device.
      requestCert: true,
      rejectUnauthorized: false,
      keepAliveTimeout: KEEP_ALIVE_MS,
      headersTimeout: slowMs,
      requestTimeout: slowMs,
      connectionsCheckingInterval: checkInterval,
    },
    (req, res) => {
      handle(options, context, req, res).catch((err: unknown) => {
        logger.error({ err }, 'request handling failed');
        res.destroy();
      });
    },
  );
  // Node's timeouts start at a request's first byte: a connection that never sends one would stay open for
  // ever. Give it slowMs of silence; its first byte hands over to Node's own timeouts, so one that sends part
  // of its headers and goes silent gets Node's 408 rather than this timer's bare close.
  // Node's connections check may also time such a connection out (ERR_HTTP_REQUEST_TIMEOUT) at about the
  // same moment; it gets the same bare close, not a 408 for a request it never began (see clientError).
  const spoke = new WeakSet<object>();
  server.on('secureConnection', (socket) => {
    socket.setTimeout(slowMs);
    socket.once('data', () => {
      spoke.add(socket);
      socket.setTimeout(0);
    });
  });
  server.on('request', (req) => req.socket.setTimeout(0));
  server.on('upgrade', options.upgrade);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Never log the error itself: its rawPacket holds the request bytes, Authorization header included.
    logger.debug({ code: err.code }, 'malformed HTTP request');
    const pending = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    // Junk after a complete request that is still being answered: that answer finishes first, and Node
    // then closes or reuses the connection. A request timeout, though, is about the pending request itself.
    if (pending && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') return;
    const silent = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && !spoke.has(socket);
    if (silent || !socket.writable || pending?.headersSent || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // end, not destroy: a response already queued on this socket must still reach the client.
    socket.end(clientErrorResponse(err), () => socket.destroy());
  });
  const listener = await listenTls(server, options.port, options.bindAddress, logger);
  return {
    port: listener.port,
    close: async () => {
      const closed = listener.closed();
      server.closeAllConnections();
      listener.destroyConnections();
      await closed;
    },
  };
}

async function handle(
  options: RestServerOptions,
  context: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // A child logger per request costs a bindings serialisation; a silent logger (the default) logs nothing,
  // so its requests share it.
  const log = options.logger.isLevelEnabled('fatal')
    ? options.logger.child({ method: req.method, path: req.url?.split('?')[0] })
    : options.logger;
  try {
    const url = requestUrl(req.url);
    const match = matchRoute(req.method ?? '', url.pathname);
    if (match.kind === 'not-found') throw new HubError('NotFound', `No route for ${url.pathname}.`);
    if (match.kind === 'method-not-allowed') {
      throw new HubError('MethodNotAllowed', `${req.method} is not supported on ${url.pathname}.`);
    }
    const { route, params } = match;
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
    // Counted once the caller is known, as IoT Hub meters a hub's authenticated operations. Over the rate
    // the request waits its turn in the class's backlog (traffic shaping); a full backlog answers 429.
    if (route.throttle) {
      await admitWhileConnected(
        options.throttle,
        route.throttle.operation,
        route.throttle.cost?.(body) ?? 1,
        res,
      );
    }
    const response = await route.handler(context, {
      params,
      body,
      headers: req.headers,
      query: url.searchParams,
      log,
    });
    send(res, response);
    log.debug({ status: response.status }, 'request served');
  } catch (err) {
    // Its client went away while it waited for the throttle: there is no one to answer.
    if (err instanceof ClientGoneError) {
      log.debug('request withdrawn from the throttle backlog: client disconnected');
      return;
    }
    const error = toHubError(err);
    if (error.status >= 500 && error.errorName === 'ServerError') log.error({ err }, 'request failed');
    else log.debug({ status: error.status, code: error.errorName }, 'request refused');
    // An oversized body is left unread: close the connection rather than drain it.
    if (error.errorName === 'MessageTooLarge') res.setHeader('connection', 'close');
    sendHubError(res, error);
  }
}

/** The reason a waiting request leaves the throttle's backlog when its connection closes. */
class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

/**
 * Waits for the throttle to admit the request; a client that closes its connection meanwhile withdraws it,
 * so it holds no backlog place and is not processed later for no one.
 */
async function admitWhileConnected(
  throttle: HubThrottle,
  operation: OperationClass,
  cost: number,
  res: ServerResponse,
): Promise<void> {
  // Within the rate (and always without quota emulation) nothing waits, so nothing can be withdrawn.
  if (throttle.admitsNow(operation, cost)) return;
  const gone = new AbortController();
  // Before the answer is written, a 'close' of the response means its connection closed.
  const onClose = () => gone.abort(new ClientGoneError('The client disconnected.'));
  res.once('close', onClose);
  try {
    await throttle.admit(operation, cost, gone.signal);
  } finally {
    res.off('close', onClose);
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
