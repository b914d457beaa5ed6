import type { MethodClient, MethodRequest, MethodResponse } from './client';
import { RebootHandlerError } from './errors';

type MethodCallback = (request: MethodRequest, response: MethodResponse) => void;
interface Slot {
  current: MethodCallback | undefined;
}

// azure-iot-device has no way to unregister a method callback (no removeDeviceMethod; the listener sits
// on the private transport, and a second onDeviceMethod / onMethod for the same name throws). So each method is
// registered with the SDK once per client, and the SDK callback dispatches to whichever handler holds
// the slot: detaching empties the slot and a later attach on the same client fills it again.
const slots = new WeakMap<MethodClient, Map<string, Slot>>();

/**
 * Routes `methodName` on `client` to `callback` until the returned release function is called.
 * While the slot is empty, requests are left unanswered, as the SDK does for a method with no handler.
 */
export function claimMethod(client: MethodClient, methodName: string, callback: MethodCallback): () => void {
  let byName = slots.get(client);
  if (byName === undefined) {
    byName = new Map();
    slots.set(client, byName);
  }
  let slot = byName.get(methodName);
  if (slot?.current !== undefined) {
    throw new RebootHandlerError(`A handler for method "${methodName}" is already attached to this client`);
  }
  if (slot === undefined) {
    const created: Slot = { current: undefined };
    try {
      const dispatch: MethodCallback = (request, response) => created.current?.(request, response);
      if ('onDeviceMethod' in client) client.onDeviceMethod(methodName, dispatch);
      else
        client.onMethod(methodName, (request, response) => {
          if (request && response) dispatch(request, response);
        });
    } catch (err) {
      throw new RebootHandlerError(`Could not register method "${methodName}" with the client`, {
        cause: err,
      });
    }
    byName.set(methodName, created);
    slot = created;
  }
  const claimed = slot;
  claimed.current = callback;
  return () => {
    if (claimed.current === callback) claimed.current = undefined;
  };
}
