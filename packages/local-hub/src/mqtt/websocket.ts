import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { HubError } from '../errors';
import { rawHubErrorResponse } from '../rest/client-error';
import { MAX_MQTT_PACKET_BYTES } from './packet-size';

/**
 * Where IoT Hub serves MQTT over WebSockets, on its HTTPS port: `azure-iot-device-mqtt`'s `MqttWs` dials
 * `wss://<host>:443/$iothub/websocket` (mqtt_ws.js, `_getBaseTransportConfig`) with subprotocol `mqtt`.
 */
export const MQTT_WEBSOCKET_PATH = '/$iothub/websocket';
const SUBPROTOCOL = 'mqtt';

/** Handles an HTTP `upgrade` event: `(request, socket, head)` as Node's HTTP server emits it. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * MQTT over WebSockets as a second transport into the one broker: the WebSocket handshake and framing are
 * `ws`'s, the MQTT byte stream inside goes to `serveMqtt` (the broker's entry for every connection), so
 * authentication, topic rules, packet limits and sessions are those of MQTT over TLS.
 */
export function mqttWebSocketUpgrade(
  serveMqtt: (stream: Duplex, request: IncomingMessage) => void,
  logger: Logger,
): UpgradeHandler {
  const wss = new WebSocketServer({
    noServer: true,
    // One WebSocket message carries at most one MQTT packet's worth; ws would otherwise buffer 100 MiB.
    maxPayload: MAX_MQTT_PACKET_BYTES + 1024,
    // The WebSocket's own permessage-deflate would let a small frame inflate into a large buffer.
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  return (request, socket, head) => {
    const refusal = refuse(request);
    if (refusal) {
      logger.debug({ code: refusal.errorName }, 'WebSocket upgrade refused');
      socket.end(rawHubErrorResponse(refusal), () => socket.destroy());
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      // A broken frame (or a peer that vanishes) is a closed connection, never an unhandled error.
      stream.on('error', (err) => logger.debug({ err }, 'MQTT over WebSockets: connection error'));
      // The request goes along: its TLS socket holds an X.509 device's client certificate.
      serveMqtt(stream, request);
    });
  };
}

/** Why an upgrade request is not an MQTT-over-WebSockets connection this hub serves, if it is not. */
function refuse(request: IncomingMessage): HubError | undefined {
  const path = (request.url ?? '').split('?')[0];
  if (path !== MQTT_WEBSOCKET_PATH && path !== '/%24iothub/websocket') {
    return new HubError('NotFound', `WebSocket connections are served at ${MQTT_WEBSOCKET_PATH} only.`);
  }
  if ((request.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return new HubError('ArgumentInvalid', 'Only the WebSocket protocol can be upgraded to.');
  }
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!protocols.includes(SUBPROTOCOL)) {
    return new HubError('ArgumentInvalid', `The WebSocket subprotocol must be "${SUBPROTOCOL}".`);
  }
  return undefined;
}
