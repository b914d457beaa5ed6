import { HubError } from '../errors';
import { MethodInvoker, type MethodTransport } from './invoker';
import { parseMethodRequest } from './request';

function setup(state: { exists?: boolean; ready?: boolean } = {}) {
  const sent: { deviceId: string; methodName: string; requestId: string; payloadJson: string }[] = [];
  const flags = { exists: true, ready: true, ...state };
  const transport: MethodTransport = {
    exists: () => flags.exists,
    isReady: () => flags.ready,
    send: (deviceId, methodName, requestId, payloadJson) =>
      sent.push({ deviceId, methodName, requestId, payloadJson }),
    onReady: (listener) => listeners.push(listener),
  };
  const listeners: ((deviceId: string) => void)[] = [];
  /** The transport reports that `deviceId` became ready. */
  const ready = (deviceId: string) => {
    for (const listener of listeners) listener(deviceId);
  };
  return { invoker: new MethodInvoker(transport), sent, flags, ready };
}

const request = (extra: Record<string, unknown> = {}) =>
  parseMethodRequest({ methodName: 'reboot', ...extra });

describe('MethodInvoker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends to a ready device and resolves with its answer', async () => {
    const { invoker, sent } = setup();
    const call = invoker.invoke('d', request({ payload: { a: 1 } }));
    expect(sent).toEqual([
      { deviceId: 'd', methodName: 'reboot', requestId: expect.any(String), payloadJson: '{"a":1}' },
    ]);
    invoker.handleResponse('d', sent[0]?.requestId ?? '', 200, Buffer.from('{"ok":true}'));
    await expect(call).resolves.toEqual({ status: 200, payload: { ok: true } });
  });

  it('answers DeviceNotFound and DeviceNotOnline (connect timeout 0) at once', async () => {
    await expect(setup({ exists: false }).invoker.invoke('d', request())).rejects.toMatchObject({
      errorName: 'DeviceNotFound',
    });
    await expect(setup({ ready: false }).invoker.invoke('d', request())).rejects.toMatchObject({
      errorName: 'DeviceNotOnline',
      code: 404103,
    });
  });

  it('waits up to connectTimeoutInSeconds for the device, then sends', async () => {
    const { invoker, sent, flags, ready } = setup({ ready: false });
    const call = invoker.invoke('d', request({ connectTimeoutInSeconds: 10 }));
    jest.advanceTimersByTime(9_999);
    expect(sent).toHaveLength(0);
    flags.ready = true;
    ready('other');
    expect(sent).toHaveLength(0);
    ready('d');
    expect(sent).toHaveLength(1);
    // The connect timer no longer runs: only the response timeout does.
    jest.advanceTimersByTime(10_000);
    invoker.handleResponse('d', sent[0]?.requestId ?? '', 200, Buffer.alloc(0));
    await expect(call).resolves.toEqual({ status: 200, payload: null });
  });

  it('answers DeviceNotOnline when the device does not come within connectTimeoutInSeconds', async () => {
    const { invoker, sent, ready } = setup({ ready: false });
    const call = invoker.invoke('d', request({ connectTimeoutInSeconds: 5 }));
    jest.advanceTimersByTime(5_000);
    await expect(call).rejects.toMatchObject({ errorName: 'DeviceNotOnline' });
    ready('d');
    expect(sent).toHaveLength(0);
  });

  it('answers 504101 at the response timeout and ignores the late answer', async () => {
    const { invoker, sent } = setup();
    const call = invoker.invoke('d', request({ responseTimeoutInSeconds: 5 }));
    jest.advanceTimersByTime(4_999);
    jest.advanceTimersByTime(1);
    await expect(call).rejects.toMatchObject({ errorName: 'GatewayTimeout', code: 504101, status: 504 });
    expect(() => invoker.handleResponse('d', sent[0]?.requestId ?? '', 200, Buffer.from('1'))).not.toThrow();
  });

  it('settles once: a second answer and answers from another device are ignored', async () => {
    const { invoker, sent } = setup();
    const call = invoker.invoke('d', request());
    const id = sent[0]?.requestId ?? '';
    invoker.handleResponse('intruder', id, 500, Buffer.from('"x"'));
    invoker.handleResponse('d', id, 201, Buffer.from('"first"'));
    invoker.handleResponse('d', id, 202, Buffer.from('"second"'));
    await expect(call).resolves.toEqual({ status: 201, payload: 'first' });
  });

  it('fails open calls with 503 on close', async () => {
    const { invoker } = setup({ ready: false });
    const waiting = invoker.invoke('d', request({ connectTimeoutInSeconds: 100 }));
    invoker.close();
    await expect(waiting).rejects.toBeInstanceOf(HubError);
    await expect(waiting).rejects.toMatchObject({ status: 503 });
  });

  it('once closed, refuses new calls at once and sends nothing when a device gets ready', async () => {
    const { invoker, sent, flags, ready } = setup({ ready: false });
    invoker.close();
    await expect(invoker.invoke('d', request({ connectTimeoutInSeconds: 300 }))).rejects.toMatchObject({
      errorName: 'ServiceUnavailable',
      status: 503,
    });
    flags.ready = true;
    ready('d');
    await expect(invoker.invoke('d', request())).rejects.toMatchObject({ status: 503 });
    expect(sent).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('parseMethodRequest', () => {
  it('applies IoT Hub defaults and keeps null for an absent payload', () => {
    expect(parseMethodRequest({ methodName: 'm' })).toEqual({
      methodName: 'm',
      payloadJson: 'null',
      responseTimeoutInSeconds: 30,
      connectTimeoutInSeconds: 0,
    });
  });

  it.each([
    [{ methodName: '' }],
    [{ methodName: 'a/b' }],
    [{ methodName: 'm', responseTimeoutInSeconds: 4 }],
    [{ methodName: 'm', responseTimeoutInSeconds: 5.5 }],
    [{ methodName: 'm', connectTimeoutInSeconds: 301 }],
    [{ methodName: 'm', extra: true }],
    [{ methodName: 'm', payload: 'p'.repeat(128 * 1024) }],
    [null],
  ])('answers 400 to %j', (body) => {
    expect(() => parseMethodRequest(body)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
