/**
 * The narrow slice of an `azure-iot-device` `Client` (or `ModuleClient`) this package uses, so a test
 * double fits as well as the real SDK client.
 */

/** A direct-method request as the SDK hands it over. */
export interface MethodRequest {
  requestId: string;
  methodName: string;
  /**
   * The SDK has already parsed the body as JSON (and answered 400 itself when it was not JSON);
   * other transports or doubles may hand over the raw `Buffer`. Both are accepted.
   */
  payload?: unknown;
}

/** The answer channel of one direct-method request. */
export interface MethodResponse {
  /** Promise form of the SDK's `send`; rejects when the response cannot be sent. */
  send(status: number, payload?: unknown): Promise<void>;
}

type MethodCallback = (request: MethodRequest, response: MethodResponse) => void;

/**
 * Registers direct-method handlers: a device `Client` names it `onDeviceMethod`, a `ModuleClient`
 * `onMethod` (azure-iot-device `module_client.ts`); either fits.
 */
export type MethodClient = DeviceMethodClient | ModuleMethodClient;

/** A device `Client`'s way of registering a method. */
export interface DeviceMethodClient {
  onDeviceMethod(methodName: string, callback: MethodCallback): void;
}

/**
 * A `ModuleClient`'s way of registering a method. The SDK types its callback's arguments as optional
 * (`DoubleValueCallback`) though it always passes both.
 */
export interface ModuleMethodClient {
  onMethod(methodName: string, callback: (request?: MethodRequest, response?: MethodResponse) => void): void;
}

/**
 * The twin as far as reporting goes. `update` is callback-only in the SDK, and optional here because
 * the SDK types `properties.reported` as a plain dictionary; it is checked when used.
 */
export interface ReportableTwin {
  properties: { reported: { update?: (patch: unknown, done: (err?: Error) => void) => void } };
}

/** Fetches the device twin (promise form). */
export interface TwinClient {
  getTwin(): Promise<ReportableTwin>;
}

/** Tells when the client (re)connects, so an owed twin report can be sent then. */
export interface ConnectionEvents {
  on(event: 'connect', listener: () => void): unknown;
  removeListener(event: 'connect', listener: () => void): unknown;
}

/** Everything {@link attachRebootHandler} needs from the client. */
export type RebootHandlerClient = MethodClient & TwinClient & ConnectionEvents;
