import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { toHubError } from '../error-translation';
import { HubError } from '../errors';
import type { HubEventBus } from '../events/bus';
import { QuerySnapshots } from '../query/snapshots';
import type { DeviceRecord } from '../registry/devices';
import type { ModuleRecord } from '../registry/modules';
import { readJsonBody } from '../rest/body';
import { sendHubError } from '../rest/errors';
import type { RestContext } from '../rest/handlers/context';
import { requestUrl } from '../rest/request-url';
import { systemTimers } from '../timers';
import { matchViewRoute, type ViewContext } from './api';
import { loadViewAssets } from './assets';
import { streamEvents } from './event-stream';
import {
  allowedHosts,
  CSRF_HEADER,
  checkCsrf,
  checkHost,
  checkSession,
  newViewSecrets,
  SECURITY_HEADERS,
  sameToken,
  sessionCookie,
} from './security';

export interface ViewServerOptions {
  /** Loopback by default: the view is an admin surface. */
  bindAddress: string;
  port: number;
  hostName: string;
  context: RestContext;
  events: HubEventBus;
  deviceConnectionString(device: DeviceRecord): string;
  moduleConnectionString(module: ModuleRecord): string;
  slowClientTimeoutMs: number;
  logger: Logger;
}

export interface ViewServer {
  port: number;
  /** The URL to open: it carries this start's access token (print it, never log it). */
  url: string;
  close(): Promise<void>;
}

/** The hub's web view: one page, its bundle, a JSON API and an event stream, on a plain-HTTP listener. */
export async function startViewServer(options: ViewServerOptions): Promise<ViewServer> {
  const assets = await loadViewAssets();
  const secrets = newViewSecrets();
  const { logger } = options;
  const ctx: ViewContext = {
    rest: { ...options.context, querySnapshots: new QuerySnapshots() },
    deviceConnectionString: options.deviceConnectionString,
    moduleConnectionString: options.moduleConnectionString,
    log: logger,
  };
  const streams = new Set<() => void>();
  let hosts = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const method = req.method ?? '';
    try {
      checkHost(req.headers.host, hosts);
      const url = requestUrl(req.url);
      const path = url.pathname;
      const token = url.searchParams.get('token');
      if (path === '/' && token !== null) {
        if (!sameToken(token, secrets.accessToken)) {
          throw new HubError('IotHubUnauthorizedAccess', 'The access token is not this start of the hub.');
        }
        // The token leaves the address bar (and the history) at once; from now on the cookie carries it.
        res.writeHead(303, { location: '/', 'set-cookie': sessionCookie(secrets.accessToken) });
        res.end();
        return;
      }
      checkSession(req.headers.cookie, secrets);
      checkCsrf(
        method,
        {
          csrf: header(req, CSRF_HEADER),
          origin: header(req, 'origin'),
          host: req.headers.host,
        },
        secrets,
      );
      const file = assets.files.get(path);
      if (file) {
        if (method !== 'GET')
          throw new HubError('MethodNotAllowed', `${method} is not supported on ${path}.`);
        res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length });
        res.end(file.body);
        return;
      }
      if (path === '/api/session' && method === 'GET') {
        return sendJson(res, 200, { csrfToken: secrets.csrfToken, hostName: options.hostName });
      }
      if (path === '/api/events' && method === 'GET') {
        const end = streamEvents(res, options.events, systemTimers);
        streams.add(end);
        res.on('close', () => streams.delete(end));
        return;
      }
      const match = matchViewRoute(method, path);
      if ('error' in match) throw match.error;
      const body = await readJsonBody(req);
      const response = await match.handler(ctx, {
        params: match.params,
        query: url.searchParams,
        body,
        headers: req.headers,
      });
      sendJson(res, response.status, response.body, response.headers);
    } catch (err) {
      const error = toHubError(err);
      if (error.status >= 500 && error.errorName === 'ServerError')
        logger.error({ err }, 'view request failed');
      else logger.debug({ status: error.status, code: error.errorName }, 'view request refused');
      if (error.errorName === 'MessageTooLarge') res.setHeader('connection', 'close');
      sendHubError(res, error);
    }
  };

  const server = createServer(
    { headersTimeout: options.slowClientTimeoutMs, requestTimeout: options.slowClientTimeoutMs },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error({ err }, 'view request handling failed');
        res.destroy();
      });
    },
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Node's request timeouts start at a request's first byte: a connection that sends none gets
    // slowClientTimeoutMs of silence, as on the REST listener (an open event stream is not silent).
    socket.setTimeout(options.slowClientTimeoutMs, () => socket.destroy());
    socket.once('data', () => socket.setTimeout(0));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindAddress, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  hosts = allowedHosts(options.bindAddress, port);
  const host = options.bindAddress.includes(':') ? `[${options.bindAddress}]` : options.bindAddress;
  return {
    port,
    url: `http://${host}:${port}/?token=${secrets.accessToken}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const end of [...streams]) end();
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
