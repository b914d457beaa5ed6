import { HubError } from '../errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH, NonFiniteNumberError, parseFiniteJson } from '../json-depth';
import { systemTimers, type Timers } from '../timers';
import { METHOD_PAYLOAD_LIMIT_BYTES, type MethodRequest } from './request';

/** What the device answered: its status and JSON payload (null when it sent none). */
export interface MethodResult {
  status: number;
  payload: unknown;
}

/** The device side of method calls, implemented by the MQTT layer. */
export interface MethodTransport {
  exists(deviceId: string): boolean;
  /** Connected and subscribed to `$iothub/methods/POST/#`. */
  isReady(deviceId: string): boolean;
  /** Calls `listener` each time a device becomes ready. */
  onReady(listener: (deviceId: string) => void): void;
  send(deviceId: string, methodName: string, requestId: string, payloadJson: string): void;
}

/** How one call ended, for watchers: the device's result, or the hub's error. */
export type MethodOutcomeWatcher = (
  deviceId: string,
  methodName: string,
  outcome: MethodResult | HubError,
  durationMs: number,
) => void;

interface Invocation {
  deviceId: string;
  request: MethodRequest;
  timer: unknown;
  settle(result: MethodResult | HubError): void;
}

/**
 * Bookkeeping of direct method calls. A call waits up to connectTimeoutInSeconds for the device to be
 * connected *and* subscribed to methods (404103 DeviceNotOnline otherwise), then up to
 * responseTimeoutInSeconds for its answer (504101 GatewayTimeout). Every call gets exactly one outcome;
 * a device response that arrives late or twice is ignored.
 */
export class MethodInvoker {
  private readonly waitingForDevice = new Set<Invocation>();
  private readonly awaitingResponse = new Map<string, Invocation>();
  private nextId = 1;
  private closed = false;
  private readonly watchers = new Set<MethodOutcomeWatcher>();

  constructor(
    private readonly transport: MethodTransport,
    private readonly timers: Timers = systemTimers,
  ) {
    transport.onReady((deviceId) => this.deviceReady(deviceId));
  }

  /** Calls `watcher` once per call that reached a device's bookkeeping, when it ends; returns unsubscribe. */
  watch(watcher: MethodOutcomeWatcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  invoke(deviceId: string, request: MethodRequest): Promise<MethodResult> {
    // A call parked now would outlive the hub by up to its connect timeout.
    if (this.closed) return Promise.reject(shuttingDown());
    if (!this.transport.exists(deviceId)) {
      return Promise.reject(
        new HubError('DeviceNotFound', `Device ${JSON.stringify(deviceId)} does not exist.`),
      );
    }
    const startedAt = performance.now();
    return new Promise<MethodResult>((resolve, reject) => {
      let settled = false;
      const invocation: Invocation = {
        deviceId,
        request,
        timer: undefined,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          this.timers.clearTimeout(invocation.timer);
          const durationMs = Math.round(performance.now() - startedAt);
          for (const watcher of this.watchers) {
            try {
              watcher(deviceId, request.methodName, outcome, durationMs);
            } catch {
              // A watcher must not change the call's outcome.
            }
          }
          if (outcome instanceof HubError) reject(outcome);
          else resolve(outcome);
        },
      };
      if (this.transport.isReady(deviceId)) {
        this.send(invocation);
      } else if (request.connectTimeoutInSeconds === 0) {
        invocation.settle(notOnline());
      } else {
        this.waitingForDevice.add(invocation);
        invocation.timer = this.timers.setTimeout(() => {
          this.waitingForDevice.delete(invocation);
          invocation.settle(notOnline());
        }, request.connectTimeoutInSeconds * 1000);
      }
    });
  }

  /** The device became ready (connected and subscribed to methods): send what waited for it. */
  private deviceReady(deviceId: string): void {
    if (this.closed) return;
    for (const invocation of [...this.waitingForDevice]) {
      if (invocation.deviceId !== deviceId) continue;
      this.waitingForDevice.delete(invocation);
      this.timers.clearTimeout(invocation.timer);
      this.send(invocation);
    }
  }

  /** A `$iothub/methods/res/<status>/?$rid=<id>` from `deviceId`. Unknown, foreign or late ids are ignored. */
  handleResponse(deviceId: string, requestId: string, status: number, body: Buffer): void {
    const key = responseKey(deviceId, requestId);
    const invocation = this.awaitingResponse.get(key);
    if (!invocation) return;
    this.awaitingResponse.delete(key);
    invocation.settle(toResult(status, body));
  }

  /** Fails every open call and refuses new ones (hub shutting down). */
  close(): void {
    this.closed = true;
    const error = shuttingDown();
    for (const invocation of this.waitingForDevice) invocation.settle(error);
    for (const invocation of this.awaitingResponse.values()) invocation.settle(error);
    this.waitingForDevice.clear();
    this.awaitingResponse.clear();
  }

  private send(invocation: Invocation): void {
    const requestId = (this.nextId++).toString(16);
    const key = responseKey(invocation.deviceId, requestId);
    this.awaitingResponse.set(key, invocation);
    invocation.timer = this.timers.setTimeout(() => {
      this.awaitingResponse.delete(key);
      invocation.settle(new HubError('GatewayTimeout', 'Timed out waiting for the response from device.'));
    }, invocation.request.responseTimeoutInSeconds * 1000);
    const { methodName, payloadJson } = invocation.request;
    this.transport.send(invocation.deviceId, methodName, requestId, payloadJson);
  }
}

function responseKey(deviceId: string, requestId: string): string {
  return `${deviceId}\u0000${requestId}`;
}

function shuttingDown(): HubError {
  return new HubError('ServiceUnavailable', 'The hub is shutting down.');
}

function notOnline(): HubError {
  return new HubError('DeviceNotOnline', 'Timed out waiting for device to connect.');
}

function toResult(status: number, body: Buffer): MethodResult | HubError {
  if (body.length > METHOD_PAYLOAD_LIMIT_BYTES) {
    return new HubError('BadDeviceResponse', 'The device response payload is larger than 128 KB.');
  }
  const text = body.toString('utf8').trim();
  if (text === '') return { status, payload: null };
  // Parsing would succeed, but answering the caller (JSON.stringify) would overflow the stack: a 500.
  if (exceedsJsonDepth(text)) {
    return new HubError(
      'BadDeviceResponse',
      `The device response payload nests deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  }
  try {
    return { status, payload: parseFiniteJson(text) };
  } catch (err) {
    if (err instanceof NonFiniteNumberError) {
      return new HubError('BadDeviceResponse', 'The device response payload has a number out of range.');
    }
    return new HubError('BadDeviceResponse', 'The device response payload is not valid JSON.');
  }
}
