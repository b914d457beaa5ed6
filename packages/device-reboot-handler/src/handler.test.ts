import type { PendingReboot } from '@iothub-reboot/contracts';
import { RebootHandlerError } from './errors';
import { attachRebootHandler, type RebootActionRequest, type RebootHandlerOptions } from './handler';
import { reportPendingReboot } from './startup';
import { createMemoryRebootStore, type PendingRebootStore } from './store';
import { captureLogger, type Deferred, deferred, FakeDeviceClient } from './test-support/fake-client';

const start = new Date('2026-11-28T04:00:00.000Z');
const retry = { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 400, callTimeoutMs: 1_000 };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));
beforeEach(() => {
  unhandled.length = 0;
  jest.useFakeTimers({ now: start });
});
afterEach(async () => {
  jest.useRealTimers();
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled).toEqual([]);
});

/** Lets pending promise callbacks run without moving the clock. */
const flush = () => jest.advanceTimersByTimeAsync(0);

function setup(
  options: Partial<RebootHandlerOptions> = {},
  store: PendingRebootStore = createMemoryRebootStore(),
) {
  const client = new FakeDeviceClient();
  const { logger, lines } = captureLogger();
  const actions: Array<Deferred<void> & { request: RebootActionRequest }> = [];
  const reboot = jest.fn((request: RebootActionRequest) => {
    const action = { ...deferred(), request };
    actions.push(action);
    return action.promise;
  });
  const handler = attachRebootHandler(client, {
    reboot,
    store,
    logger,
    retry,
    random: () => 0.5,
    ...options,
  });
  return { client, store, lines, actions, reboot, handler };
}

const iso = (ms: number) => new Date(start.getTime() + ms).toISOString();

describe('report-then-respond (default)', () => {
  it('persists, reboots, reports, clears, then answers 200 with the reboot time', async () => {
    const { client, store, lines, actions, reboot } = setup();
    const response = client.invoke({ reason: 'maintenance' }, { requestId: 'r-1' });
    await flush();
    expect(reboot).toHaveBeenCalledWith({ requestId: 'r-1', payload: { reason: 'maintenance' } });
    await expect(store.load()).resolves.toEqual({
      version: 1,
      phase: 'rebooting',
      requestId: 'r-1',
      acceptedAt: iso(0),
    });
    expect(response.sends).toEqual([]);

    await jest.advanceTimersByTimeAsync(2_000);
    actions[0]?.resolve();
    await flush();
    expect(client.reportedTimes()).toEqual([iso(2_000)]);
    await expect(store.load()).resolves.toBeUndefined();
    expect(response.sends).toEqual([
      {
        status: 200,
        payload: { result: 'rebooted', rebootTime: iso(2_000), message: `Device rebooted at ${iso(2_000)}.` },
      },
    ]);
    const milestones = lines.filter((l) => l.requestId === 'r-1').map((l) => l.msg);
    expect(milestones).toEqual([
      'Rebooting device',
      'Device rebooted',
      'Device twin updated with latest rebootTime',
      'Reboot request answered',
    ]);
  });

  it.each([
    ['a Buffer holding JSON', Buffer.from('{"reason":"buffer"}'), { reason: 'buffer' }],
    ['a double-encoded JSON string', '{"method_number":"42"}', { method_number: '42' }],
    ['no payload', undefined, {}],
    ['null', null, {}],
  ])('accepts %s', async (_name, payload, parsed) => {
    const { client, reboot } = setup();
    client.invoke(payload);
    await flush();
    expect(reboot).toHaveBeenCalledWith(expect.objectContaining({ payload: parsed }));
  });

  it.each([
    ['a Buffer that is not JSON', Buffer.from('reboot please')],
    ['a field of the wrong type', { delaySeconds: 'soon' }],
    ['an array', [1, 2]],
  ])('answers 400 to %s without rebooting', async (_name, payload) => {
    const { client, store, reboot } = setup();
    const response = client.invoke(payload);
    await flush();
    expect(reboot).not.toHaveBeenCalled();
    expect(response.sends).toEqual([
      {
        status: 400,
        payload: {
          result: 'bad-request',
          error: expect.stringMatching(/^Invalid rebootDevice request payload/),
        },
      },
    ]);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('answers 409 to a request that arrives during a reboot, and accepts again afterwards', async () => {
    const { client, actions, reboot } = setup();
    const first = client.invoke({});
    const second = client.invoke({});
    await flush();
    expect(second.sends).toEqual([{ status: 409, payload: { result: 'busy', error: expect.any(String) } }]);
    expect(reboot).toHaveBeenCalledTimes(1);
    actions[0]?.resolve();
    await flush();
    expect(first.sends.map((s) => s.status)).toEqual([200]);
    const third = client.invoke({});
    await flush();
    actions[1]?.resolve();
    await flush();
    expect(third.sends.map((s) => s.status)).toEqual([200]);
  });

  it('answers 409 while the twin report is still being retried', async () => {
    const { client, actions } = setup();
    client.updateBehaviours.push(new Error('connection lost'));
    client.invoke({});
    await flush();
    actions[0]?.resolve();
    await flush();
    const during = client.invoke({});
    await flush();
    expect(during.sends.map((s) => s.status)).toEqual([409]);
  });

  it('reports failed, answers 500 with the action message (no stack, no secret) and drops the record', async () => {
    const { client, store, actions, lines } = setup();
    const response = client.invoke({ correlationId: 'c-500' });
    await flush();
    actions[0]?.reject(new Error('relay stuck; HostName=h;SharedAccessKey=c2VjcmV0'));
    await flush();
    expect(response.sends).toEqual([
      {
        status: 500,
        payload: { result: 'reboot-failed', error: 'relay stuck; HostName=h;SharedAccessKey=***' },
      },
    ]);
    expect(client.reportedTimes()).toEqual([]);
    expect(client.reportedStates()).toEqual([
      {
        status: 'failed',
        correlationId: 'c-500',
        startedAt: iso(0),
        scheduledFor: null,
        reason: 'relay stuck; HostName=h;SharedAccessKey=***',
      },
    ]);
    await expect(store.load()).resolves.toBeUndefined();
    expect(lines.some((l) => l.msg === 'Reboot step failed')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('c2VjcmV0');
  });

  it('does not reboot when the pending record cannot be written', async () => {
    const failing: PendingRebootStore = {
      ...createMemoryRebootStore(),
      save: () => Promise.reject(new Error('read-only file system')),
    };
    const { client, reboot } = setup({}, failing);
    const response = client.invoke({});
    await flush();
    expect(reboot).not.toHaveBeenCalled();
    expect(response.sends).toEqual([
      {
        status: 500,
        payload: {
          result: 'reboot-failed',
          error: 'Could not record the pending reboot, so the device did not reboot: read-only file system',
        },
      },
    ]);
  });

  it('answers 200 when the twin report succeeds on a retry', async () => {
    const { client, actions } = setup();
    client.getTwinBehaviours.push('hang');
    client.updateBehaviours.push(new Error('connection lost'));
    const response = client.invoke({});
    await flush();
    actions[0]?.resolve();
    await jest.runAllTimersAsync();
    expect(response.sends.map((s) => s.status)).toEqual([200]);
    expect(client.reported).toHaveLength(1);
  });

  it('answers 500 report-failed, keeps the record, and reports when the client reconnects', async () => {
    const { client, store, actions } = setup();
    client.updateBehaviours.push(new Error('offline'), new Error('offline'), new Error('offline'));
    const response = client.invoke({ correlationId: 'c-owed' }, { requestId: 'r-9' });
    await flush();
    actions[0]?.resolve();
    await jest.runAllTimersAsync();
    expect(response.sends).toEqual([
      {
        status: 500,
        payload: { result: 'report-failed', rebootTime: iso(0), error: expect.stringContaining('offline') },
      },
    ]);
    await expect(store.load()).resolves.toMatchObject({
      phase: 'rebooted',
      rebootTime: iso(0),
      correlationId: 'c-owed',
    });

    client.emit('connect');
    await flush();
    expect(client.reportedTimes()).toEqual([iso(0)]);
    expect(client.reportedStates()).toMatchObject([{ status: 'rebooted', correlationId: 'c-owed' }]);
    await expect(store.load()).resolves.toBeUndefined();
    client.emit('connect');
    await flush();
    expect(client.updateCalls).toBe(4);
    expect(response.sends).toHaveLength(1);
  });

  it('keeps the report owed when it fails again on reconnect', async () => {
    const { client, store, actions } = setup();
    client.updateBehaviours.push(...Array<Error>(6).fill(new Error('offline')));
    client.invoke({});
    await flush();
    actions[0]?.resolve();
    await jest.runAllTimersAsync();
    client.emit('connect');
    await jest.runAllTimersAsync();
    await expect(store.load()).resolves.toMatchObject({ phase: 'rebooted' });
    client.emit('connect');
    await flush();
    expect(client.reportedTimes()).toEqual([iso(0)]);
  });

  it('keeps an owed report through a later request whose reboot fails', async () => {
    const { client, store, actions } = setup();
    client.updateBehaviours.push(new Error('offline'), new Error('offline'), new Error('offline'));
    client.invoke({}, { requestId: 'r-1' });
    await flush();
    actions[0]?.resolve();
    await jest.runAllTimersAsync();
    const owed = await store.load();
    expect(owed).toMatchObject({ phase: 'rebooted', requestId: 'r-1' });

    await jest.advanceTimersByTimeAsync(60_000);
    const failing = client.invoke({}, { requestId: 'r-2' });
    await flush();
    actions[1]?.reject(new Error('refused'));
    await flush();
    expect(failing.sends.map((s) => s.status)).toEqual([500]);
    await expect(store.load()).resolves.toEqual(owed);

    client.emit('connect');
    await flush();
    expect(client.reportedTimes()).toEqual([iso(0)]);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('lets a newer reboot supersede an owed report', async () => {
    const { client, store, actions } = setup();
    client.updateBehaviours.push(new Error('offline'), new Error('offline'), new Error('offline'));
    client.invoke({});
    await flush();
    actions[0]?.resolve();
    await jest.runAllTimersAsync();
    const reportsBefore = client.updateCalls;
    const newer = client.invoke({});
    await flush();
    await jest.advanceTimersByTimeAsync(5_000);
    actions[1]?.resolve();
    await flush();
    expect(newer.sends.map((s) => s.status)).toEqual([200]);
    client.emit('connect');
    await flush();
    expect(client.updateCalls).toBe(reportsBefore + 1);
    const answer = newer.sends[0]?.payload as { rebootTime: string } | undefined;
    expect(client.reportedTimes()).toEqual([answer?.rebootTime]);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('survives a response that cannot be sent, and stays available', async () => {
    const { client, lines, actions } = setup();
    const lost = client.invoke({}, { send: new Error('not connected') });
    await flush();
    actions[0]?.resolve();
    await flush();
    expect(lost.sends).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'Could not send the reboot method response')).toBe(true);
    const next = client.invoke({});
    await flush();
    actions[1]?.resolve();
    await flush();
    expect(next.sends.map((s) => s.status)).toEqual([200]);
  });

  it('gives up on a response send that hangs, after the call timeout', async () => {
    const { client, actions, lines, reboot } = setup();
    client.invoke({}, { send: 'hang' });
    await flush();
    actions[0]?.resolve();
    await jest.advanceTimersByTimeAsync(retry.callTimeoutMs);
    const failure = lines.find((l) => l.msg === 'Could not send the reboot method response');
    expect(failure?.err).toMatchObject({ type: 'OperationTimeoutError' });
    client.invoke({});
    await flush();
    expect(reboot).toHaveBeenCalledTimes(2);
  });
});

describe('with a start-up report on the same store', () => {
  it('waits for a running reboot instead of discarding its fresh record', async () => {
    const { client, store, actions } = setup();
    const response = client.invoke({});
    await flush();
    let outcome: unknown;
    const startup = reportPendingReboot(client, {
      store,
      processStartedAt: new Date(start.getTime() - 60_000),
    }).then((result) => {
      outcome = result;
    });
    await flush();
    expect(outcome).toBeUndefined();
    await expect(store.load()).resolves.toMatchObject({ phase: 'rebooting' });
    actions[0]?.resolve();
    await startup;
    expect(response.sends.map((s) => s.status)).toEqual([200]);
    expect(outcome).toEqual({ status: 'none' });
    expect(client.reported).toHaveLength(1);
  });

  it('makes a request wait for the start-up report to finish with the record', async () => {
    const store = createMemoryRebootStore({
      version: 1,
      phase: 'rebooted',
      requestId: 'old',
      acceptedAt: iso(-60_000),
      rebootTime: iso(-50_000),
    });
    const { client, reboot } = setup({}, store);
    client.getTwinBehaviours.push('hang');
    const startup = reportPendingReboot(client, { store, retry });
    client.invoke({});
    await flush();
    expect(reboot).not.toHaveBeenCalled();
    await jest.runAllTimersAsync();
    await startup;
    await flush();
    expect(reboot).toHaveBeenCalledTimes(1);
    expect(client.reportedTimes()).toEqual([iso(-50_000)]);
  });
});

describe('respond-then-reboot', () => {
  it('answers 202 before rebooting, then reboots and reports without a second answer', async () => {
    const { client, store, actions } = setup({ mode: 'respond-then-reboot' });
    const response = client.invoke({});
    await flush();
    expect(response.sends).toEqual([
      { status: 202, payload: { result: 'accepted', message: expect.any(String) } },
    ]);
    await expect(store.load()).resolves.toMatchObject({ phase: 'rebooting' });
    await jest.advanceTimersByTimeAsync(500);
    actions[0]?.resolve();
    await flush();
    expect(client.reportedTimes()).toEqual([iso(500)]);
    expect(response.sends).toHaveLength(1);
    await expect(store.load()).resolves.toBeUndefined();
  });

  it('persists the record before the 202 goes out', async () => {
    const order: string[] = [];
    const inner = createMemoryRebootStore();
    const store: PendingRebootStore = {
      ...inner,
      save: async (record: PendingReboot) => {
        order.push(`save ${record.phase}`);
        await inner.save(record);
      },
    };
    const { client } = setup(
      { mode: 'respond-then-reboot', reboot: async () => void order.push('reboot') },
      store,
    );
    const response = client.invoke({});
    jest.spyOn(response, 'send').mockImplementation(async () => void order.push('send 202'));
    await flush();
    expect(order.slice(0, 3)).toEqual(['save rebooting', 'send 202', 'reboot']);
  });

  it('reports rebooting (after the durable record, before the action), then rebooted, with the correlation id', async () => {
    const order: string[] = [];
    const inner = createMemoryRebootStore();
    const store: PendingRebootStore = {
      ...inner,
      save: async (record: PendingReboot) => {
        order.push(`save ${record.phase}`);
        await inner.save(record);
      },
    };
    const { client, actions } = setup({ mode: 'respond-then-reboot' }, store);
    const update = client.getTwin.bind(client);
    jest.spyOn(client, 'getTwin').mockImplementation(async () => {
      const twin = await update();
      const original = twin.properties.reported.update;
      twin.properties.reported.update = (patch, done) => {
        order.push(
          `report ${(patch as { iothubDM: { reboot: { status: string } } }).iothubDM.reboot.status}`,
        );
        original?.(patch, done);
      };
      return twin;
    });
    const response = client.invoke({ correlationId: 'c-202' }, { requestId: 'r-9' });
    await flush();
    expect(response.sends.map((s) => s.status)).toEqual([202]);
    expect(client.reportedStates()).toEqual([
      { status: 'rebooting', correlationId: 'c-202', startedAt: iso(0), scheduledFor: null, reason: null },
    ]);
    await expect(store.load()).resolves.toMatchObject({ phase: 'rebooting', correlationId: 'c-202' });
    await jest.advanceTimersByTimeAsync(3_000);
    actions[0]?.resolve();
    await flush();
    expect(order).toEqual(['save rebooting', 'report rebooting', 'save rebooted', 'report rebooted']);
    expect(client.reportedStates()[1]).toEqual({
      status: 'rebooted',
      lastReboot: iso(3_000),
      correlationId: 'c-202',
      startedAt: iso(0),
      scheduledFor: null,
      reason: null,
    });
  });

  it('still reboots when the rebooting report cannot be delivered', async () => {
    const { client, actions } = setup({ mode: 'respond-then-reboot' });
    client.updateBehaviours.push(...Array<Error>(retry.maxAttempts).fill(new Error('connection lost')));
    client.invoke({});
    await jest.runAllTimersAsync();
    expect(actions).toHaveLength(1);
    actions[0]?.resolve();
    await flush();
    expect(client.reportedStates().map((s) => s.status)).toEqual(['rebooted']);
  });

  it('still reboots and reports when the 202 cannot be sent', async () => {
    const { client, actions } = setup({ mode: 'respond-then-reboot' });
    const response = client.invoke({}, { send: new Error('connection lost') });
    await flush();
    actions[0]?.resolve();
    await flush();
    expect(response.sends).toHaveLength(1);
    expect(client.reportedStates().map((s) => s.status)).toEqual(['rebooting', 'rebooted']);
  });

  it('reports failed (and no reboot time), sending nothing more, when the action fails after the 202', async () => {
    const { client, store, actions } = setup({ mode: 'respond-then-reboot' });
    const response = client.invoke({ correlationId: 'c-f' });
    await flush();
    actions[0]?.reject(new Error('no'));
    await flush();
    expect(response.sends.map((s) => s.status)).toEqual([202]);
    expect(client.reportedTimes()).toEqual([]);
    expect(client.reportedStates()).toMatchObject([
      { status: 'rebooting', correlationId: 'c-f' },
      { status: 'failed', correlationId: 'c-f', reason: 'no' },
    ]);
    await expect(store.load()).resolves.toBeUndefined();
  });
});

describe('a scheduled reboot (delaySeconds)', () => {
  it('answers 202 at once in either mode, reports rebooting with the planned time, reboots at that time', async () => {
    const { client, store, actions, reboot } = setup();
    const response = client.invoke({ delaySeconds: 60, correlationId: 'c-later' });
    await flush();
    expect(response.sends).toEqual([
      {
        status: 202,
        payload: {
          result: 'accepted',
          message: `Reboot scheduled for ${iso(60_000)}; the reboot state and time will be reported in the twin.`,
        },
      },
    ]);
    expect(client.reportedStates()).toEqual([
      {
        status: 'rebooting',
        correlationId: 'c-later',
        startedAt: iso(0),
        scheduledFor: iso(60_000),
        reason: null,
      },
    ]);
    await expect(store.load()).resolves.toMatchObject({ phase: 'rebooting', scheduledFor: iso(60_000) });
    await jest.advanceTimersByTimeAsync(59_999);
    expect(reboot).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(reboot).toHaveBeenCalledTimes(1);
    actions[0]?.resolve();
    await flush();
    expect(client.reportedStates()[1]).toMatchObject({
      status: 'rebooted',
      lastReboot: iso(60_000),
      scheduledFor: null,
    });
    expect(response.sends).toHaveLength(1);
  });

  it('a request during the wait gets 409', async () => {
    const { client } = setup({ mode: 'respond-then-reboot' });
    client.invoke({ delaySeconds: 30 });
    await flush();
    const second = client.invoke({});
    await flush();
    expect(second.sends.map((s) => s.status)).toEqual([409]);
  });

  it('detach cancels a reboot still waiting for its time and reports it failed', async () => {
    const { client, store, reboot, handler } = setup();
    client.invoke({ delaySeconds: 600, correlationId: 'c-cancel' });
    await flush();
    await jest.advanceTimersByTimeAsync(1_000);
    await handler.detach();
    expect(reboot).not.toHaveBeenCalled();
    expect(client.reportedStates()[1]).toMatchObject({
      status: 'failed',
      correlationId: 'c-cancel',
      reason: 'the handler was detached before the scheduled reboot',
    });
    await expect(store.load()).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('attach and detach', () => {
  it('registers under the given method name only', async () => {
    const { client } = setup({ methodName: 'reboot' });
    expect(client.registrations).toEqual(['reboot']);
    expect(client.invoke({}, { methodName: 'reboot' })).toBeDefined();
  });

  it('refuses a second handler for the same method on the same client', () => {
    const { client } = setup();
    expect(() => attachRebootHandler(client, { reboot: async () => undefined })).toThrow(RebootHandlerError);
  });

  it.each<[string, Partial<RebootHandlerOptions>]>([
    ['an empty method name', { methodName: '' }],
    ['an unknown mode', { mode: 'whenever' as never }],
    ['a missing reboot action', { reboot: undefined as never }],
    ['a bad retry bound', { retry: { maxAttempts: 0 } }],
  ])('refuses %s', (_name, options) => {
    const client = new FakeDeviceClient();
    expect(() => attachRebootHandler(client, { reboot: async () => undefined, ...options })).toThrow(
      RebootHandlerError,
    );
    expect(client.registrations).toEqual([]);
  });

  it('lets the running reboot finish and answer once, while new requests go unanswered', async () => {
    const { client, actions, handler, reboot } = setup();
    const running = client.invoke({});
    await flush();
    let detached = false;
    const detaching = handler.detach().then(() => {
      detached = true;
    });
    const late = client.invoke({});
    await flush();
    expect(late.sends).toEqual([]);
    expect(detached).toBe(false);
    actions[0]?.resolve();
    await detaching;
    expect(running.sends.map((s) => s.status)).toEqual([200]);
    expect(reboot).toHaveBeenCalledTimes(1);
    await handler.detach();
  });

  it('stops sending owed reports on reconnect once detached', async () => {
    const { client, actions, handler } = setup();
    client.updateBehaviours.push(...Array<Error>(3).fill(new Error('offline')));
    client.invoke({});
    await flush();
    actions[0]?.resolve();
    await jest.runAllTimersAsync();
    await handler.detach();
    client.emit('connect');
    await flush();
    expect(client.updateCalls).toBe(3);
    expect(client.listenerCount('connect')).toBe(0);
  });

  it('can attach again to the same client after detaching (the SDK registration is reused)', async () => {
    const { client, handler, store } = setup();
    await handler.detach();
    const reboot = jest.fn(async () => undefined);
    const again = attachRebootHandler(client, { reboot, store });
    const response = client.invoke({});
    await flush();
    expect(client.registrations).toEqual(['rebootDevice']);
    expect(response.sends.map((s) => s.status)).toEqual([200]);
    await again.detach();
  });
});
