import { systemClock } from './clock';
import { OperationTimeoutError, RebootHandlerError, RetriesExhaustedError } from './errors';
import { DEFAULT_RETRY } from './retry';
import { captureLogger, FakeDeviceClient } from './test-support/fake-client';
import { createTwinReporter } from './twin-report';

const retry = {
  ...DEFAULT_RETRY,
  maxAttempts: 3,
  initialDelayMs: 100,
  maxDelayMs: 1_000,
  callTimeoutMs: 500,
};
const rebootTime = new Date('2026-11-28T04:00:03.000Z');

describe('twin reporter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = () => {
    const client = new FakeDeviceClient();
    const { logger, lines } = captureLogger();
    const report = createTwinReporter(client, { retry, clock: systemClock, random: () => 0.5 });
    return { client, logger, lines, report };
  };

  it('writes both reboot-time conventions and logs the milestone', async () => {
    const { client, logger, lines, report } = setup();
    await report({ status: 'rebooted', rebootTime }, logger);
    expect(client.reported).toEqual([
      {
        rebootTime: rebootTime.toISOString(),
        iothubDM: {
          reboot: {
            status: 'rebooted',
            lastReboot: rebootTime.toISOString(),
            correlationId: null,
            startedAt: null,
            scheduledFor: null,
            reason: null,
          },
        },
      },
    ]);
    expect(lines.map((l) => l.msg)).toEqual(['Device twin updated with latest rebootTime']);
  });

  it('writes the rebooting and failed states without a reboot time', async () => {
    const { client, logger, lines, report } = setup();
    const startedAt = new Date('2026-11-28T04:00:00.000Z');
    await report({ status: 'rebooting', correlationId: 'c-1', startedAt }, logger);
    await report({ status: 'failed', correlationId: 'c-1', startedAt, reason: 'sig=abcdefgh1234' }, logger);
    expect(client.reportedTimes()).toEqual([]);
    expect(client.reportedStates()).toMatchObject([
      { status: 'rebooting', correlationId: 'c-1' },
      { status: 'failed', correlationId: 'c-1', reason: 'sig=***' },
    ]);
    expect(lines.map((l) => [l.msg, l.status])).toEqual([
      ['Device twin updated with reboot state', 'rebooting'],
      ['Device twin updated with reboot state', 'failed'],
    ]);
  });

  it('gets the twin once and reuses it across reports', async () => {
    const { client, logger, report } = setup();
    await report({ status: 'rebooted', rebootTime }, logger);
    await report({ status: 'rebooted', rebootTime }, logger);
    expect(client.getTwinCalls).toBe(1);
    expect(client.updateCalls).toBe(2);
  });

  it('retries a rejected update and a hung getTwin, each under its own timeout', async () => {
    const { client, logger, lines, report } = setup();
    client.getTwinBehaviours.push('hang');
    client.updateBehaviours.push(new Error('socket hang up'));
    const done = report({ status: 'rebooted', rebootTime }, logger);
    await jest.runAllTimersAsync();
    await done;
    expect(client.getTwinCalls).toBe(2);
    expect(client.updateCalls).toBe(2);
    expect(client.reported).toHaveLength(1);
    const retries = lines.filter((l) => l.msg === 'Twin report failed; retrying');
    expect(retries.map((l) => (l.err as { type: string }).type)).toEqual(['OperationTimeoutError', 'Error']);
  });

  // The device SDK's view of a twin update the hub throttled past its backlog: a plain Error with the hub's
  // message (azure-iot-device-mqtt mqtt_twin_client.js, `$iothub/twin/res/429` with an errorCode body).
  it('with the default retry, rides through six throttled answers in a row and reports within 30 s', async () => {
    const client = new FakeDeviceClient();
    const { logger, lines } = captureLogger();
    const report = createTwinReporter(client, {
      retry: DEFAULT_RETRY,
      clock: systemClock,
      random: () => 0.999,
    });
    const throttled =
      "The S1 hub's twinUpdates throttle is exceeded and its backlog is full; back off and retry.";
    for (let i = 0; i < 6; i += 1) client.updateBehaviours.push(new Error(throttled));
    const started = Date.now();
    const done = report({ status: 'rebooted', rebootTime }, logger);
    await jest.runAllTimersAsync();
    await done;
    expect(client.reported).toHaveLength(1);
    expect(client.updateCalls).toBe(7);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(lines.filter((l) => l.msg === 'Twin report failed; retrying')).toHaveLength(6);
  });

  it('gives up after the bounded attempts when updates hang', async () => {
    const { client, logger, report } = setup();
    client.updateBehaviours.push('hang', 'hang', 'hang');
    const done = report({ status: 'rebooted', rebootTime }, logger).catch((err: unknown) => err);
    await jest.runAllTimersAsync();
    const err = await done;
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as RetriesExhaustedError).cause).toBeInstanceOf(OperationTimeoutError);
    expect(client.updateCalls).toBe(3);
    expect(client.reported).toHaveLength(0);
  });

  it('fails with a typed error when the twin cannot be updated', async () => {
    const { logger } = captureLogger();
    const report = createTwinReporter(
      { getTwin: async () => ({ properties: { reported: {} } }) },
      { retry: { ...retry, maxAttempts: 1 }, clock: systemClock, random: () => 0 },
    );
    const err = await report({ status: 'rebooted', rebootTime }, logger).catch((e: unknown) => e);
    expect((err as RetriesExhaustedError).cause).toBeInstanceOf(RebootHandlerError);
  });
});
