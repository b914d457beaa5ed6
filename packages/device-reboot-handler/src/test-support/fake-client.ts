import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import type {
  ConnectionEvents,
  DeviceMethodClient,
  MethodRequest,
  MethodResponse,
  ReportableTwin,
  TwinClient,
} from '../client';

/** How one fake SDK call behaves: succeed, fail with an error, or never settle. */
export type CallBehaviour = 'ok' | 'hang' | Error;

/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One invocation's answer channel; records every send attempt. */
export class FakeResponse implements MethodResponse {
  readonly sends: Array<{ status: number; payload: unknown }> = [];
  constructor(private readonly behaviour: CallBehaviour) {}

  send(status: number, payload?: unknown): Promise<void> {
    this.sends.push({ status, payload });
    return settle(this.behaviour);
  }
}

/**
 * A stand-in for `azure-iot-device`'s Client: registers method callbacks the way the SDK does (a second
 * registration of a name throws), hands out a twin whose reported-properties updates are recorded, and
 * emits `connect`. Queue behaviours to inject failures; an empty queue means success.
 */
export class FakeDeviceClient
  extends EventEmitter
  implements DeviceMethodClient, TwinClient, ConnectionEvents
{
  readonly methods = new Map<string, (request: MethodRequest, response: MethodResponse) => void>();
  readonly registrations: string[] = [];
  readonly getTwinBehaviours: CallBehaviour[] = [];
  readonly updateBehaviours: CallBehaviour[] = [];
  /** Patches the hub acknowledged. */
  readonly reported: unknown[] = [];
  getTwinCalls = 0;
  updateCalls = 0;
  private nextRequest = 0;

  onDeviceMethod(
    methodName: string,
    callback: (request: MethodRequest, response: MethodResponse) => void,
  ): void {
    if (this.methods.has(methodName))
      throw new Error('A handler for this method has already been registered');
    this.registrations.push(methodName);
    this.methods.set(methodName, callback);
  }

  async getTwin(): Promise<ReportableTwin> {
    this.getTwinCalls += 1;
    await settle(this.getTwinBehaviours.shift() ?? 'ok');
    return {
      properties: {
        reported: {
          update: (patch, done) => {
            this.updateCalls += 1;
            settle(this.nextUpdateBehaviour()).then(
              () => {
                this.reported.push(patch);
                done();
              },
              (err: Error) => done(err),
            );
          },
        },
      },
    };
  }

  /** How the next reported-properties update behaves; override to script failures differently. */
  protected nextUpdateBehaviour(): CallBehaviour {
    return this.updateBehaviours.shift() ?? 'ok';
  }

  /** Delivers a method request as the SDK would; returns its response recorder. */
  invoke(
    payload: unknown,
    options: { methodName?: string; send?: CallBehaviour; requestId?: string } = {},
  ): FakeResponse {
    const methodName = options.methodName ?? 'rebootDevice';
    const response = new FakeResponse(options.send ?? 'ok');
    const requestId = options.requestId ?? `req-${++this.nextRequest}`;
    this.methods.get(methodName)?.({ requestId, methodName, payload }, response);
    return response;
  }

  /** The `rebootTime` of every acknowledged reboot report (state-only patches carry none). */
  reportedTimes(): string[] {
    return this.reported.flatMap((patch) => {
      const time = (patch as { rebootTime?: string }).rebootTime;
      return time === undefined ? [] : [time];
    });
  }

  /** The `iothubDM.reboot` section of every acknowledged patch, in order. */
  reportedStates(): Array<Record<string, unknown>> {
    return this.reported.map(
      (patch) => (patch as { iothubDM: { reboot: Record<string, unknown> } }).iothubDM.reboot,
    );
  }
}

function settle(behaviour: CallBehaviour): Promise<void> {
  if (behaviour === 'ok') return Promise.resolve();
  if (behaviour === 'hang') return new Promise(() => undefined);
  return Promise.reject(behaviour);
}

/** A pino logger whose records are kept in `lines`; `waitFor(msg)` resolves on the first record with that message. */
export function captureLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  waitFor(msg: string): Promise<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve(line: Record<string, unknown>): void }> = [];
  const write = (text: string) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.msg === line.msg)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  };
  const logger = pino({ level: 'debug' }, { write });
  const waitFor = (msg: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const seen = lines.find((line) => line.msg === msg);
      if (seen) resolve(seen);
      else waiters.push({ msg, resolve });
    });
  return { logger, lines, waitFor };
}
