import { buildRebootReport } from '@iothub-reboot/contracts';
import { MAX_QUERY_BYTES } from './device-ids';
import { PollAbortedError, PollFatalError, PollOptionsError, PollTimeoutError } from './errors';
import { type FleetProgress, pollQueryUntil } from './fleet';
import { rebootReportedAfter } from './reboot';
import { FakeHub } from './test-support/fake-registry';
import { after, REQUESTED, settle, useFakeTimeAtRequest } from './test-support/fake-time';

useFakeTimeAtRequest();

describe('pollQueryUntil', () => {
  it('times out with the partial result: who is done, who is pending and why', async () => {
    const hub = new FakeHub();
    hub.setReported('new', buildRebootReport(after(1000)));
    hub.setReported('stale', buildRebootReport(after(-600_000)));
    hub.setReported('silent', {});
    const outcome = await settle(
      pollQueryUntil({
        registry: hub.registry,
        deviceIds: ['new', 'stale', 'silent', 'unknown', 'new'],
        predicate: rebootReportedAfter({ requestedAt: REQUESTED }),
        maxAttempts: 2,
      }),
    );
    const error = (outcome as { error: PollTimeoutError<FleetProgress<unknown>> }).error;
    expect(error).toBeInstanceOf(PollTimeoutError);
    expect(error.reason).toBe('attempts');
    expect(error.lastObservation).toEqual({
      done: [{ deviceId: 'new', value: { reported: true, rebootTime: after(1000), source: 'rebootTime' } }],
      pending: [
        {
          deviceId: 'stale',
          reason: expect.stringMatching(/^last reported reboot 2026-01-01T11:50:00.000Z is not after/),
        },
        { deviceId: 'silent', reason: 'no reboot reported yet' },
        { deviceId: 'unknown', reason: 'not returned by the query' },
      ],
    });
    // The second round no longer asks for the device that is done.
    expect(hub.requests[1]?.query).toBe(
      "SELECT * FROM devices WHERE deviceId IN ['stale', 'silent', 'unknown']",
    );
  });

  it('splits a fleet too large for one query into queries within the hub size limit', async () => {
    const hub = new FakeHub();
    const ids = Array.from({ length: 1000 }, (_, i) => `fleet1000-${String(i).padStart(3, '0')}`);
    for (const id of ids) hub.setReported(id, buildRebootReport(after(10)));
    const outcome = await settle(
      pollQueryUntil({
        registry: hub.registry,
        deviceIds: ids,
        predicate: rebootReportedAfter({ requestedAt: REQUESTED }),
      }),
    );
    expect(outcome).toMatchObject({ ok: true, value: { attempts: 1, value: { pending: [] } } });
    const queries = hub.requests.map((r) => r.query ?? '');
    expect(new Set(queries).size).toBeGreaterThan(1);
    for (const q of queries) expect(Buffer.byteLength(q)).toBeLessThanOrEqual(MAX_QUERY_BYTES);
  });

  it('ANDs the caller condition to the device list', async () => {
    const hub = new FakeHub();
    hub.setReported("o'brien", buildRebootReport(after(10)));
    const outcome = await settle(
      pollQueryUntil({
        registry: hub.registry,
        deviceIds: ["o'brien"],
        where: 'IS_DEFINED(properties.reported.rebootTime)',
        predicate: rebootReportedAfter({ requestedAt: REQUESTED }),
      }),
    );
    expect(outcome).toMatchObject({ ok: true, value: { attempts: 1, value: { pending: [] } } });
    expect(hub.requests[0]?.query).toBe(
      `SELECT * FROM devices WHERE deviceId IN ["o'brien"] AND (IS_DEFINED(properties.reported.rebootTime))`,
    );
  });

  it('retries a throttled query and fails at once when the predicate throws', async () => {
    const hub = new FakeHub();
    hub.setReported('d1', {});
    hub.failures.push({ status: 429, code: 'ThrottlingException' });
    const outcome = await settle(
      pollQueryUntil({
        registry: hub.registry,
        deviceIds: ['d1'],
        predicate: () => {
          throw new RangeError('bad predicate');
        },
      }),
    );
    const error = (outcome as { error: PollFatalError }).error;
    expect(error).toBeInstanceOf(PollFatalError);
    expect(error).toMatchObject({ attempts: 2, hint: expect.stringMatching(/predicate threw/) });
    expect(error.message).toMatch(/device d1: RangeError: bad predicate/);
  });

  it('stops between pages when aborted', async () => {
    const hub = new FakeHub();
    for (const id of ['a', 'b', 'c']) hub.setReported(id, {});
    const controller = new AbortController();
    const registry = {
      createQuery: (sql: string, pageSize?: number) => {
        const query = hub.registry.createQuery(sql, pageSize);
        const next = query.next.bind(query);
        return Object.assign(query, {
          next: async (token: string) => {
            const page = await next(token);
            controller.abort();
            return page;
          },
        });
      },
    };
    const outcome = await settle(
      pollQueryUntil({
        registry,
        deviceIds: ['a', 'b', 'c'],
        pageSize: 1,
        predicate: () => ({ done: false, reason: 'never' }),
        signal: controller.signal,
      }),
    );
    expect((outcome as { error: unknown }).error).toBeInstanceOf(PollAbortedError);
    expect(hub.requests).toHaveLength(1);
  });

  it.each([
    [{ deviceIds: [] }, /at least one device id/],
    [{ deviceIds: ['ok', 'not ok'] }, /not a valid IoT Hub device id/],
    [{ deviceIds: 'a' }, /deviceIds must be an array/],
    [{ where: '  ' }, /where/],
    [{ pageSize: 0 }, /pageSize/],
    [{ predicate: undefined }, /predicate/],
    [{ registry: {} }, /createQuery/],
  ])('rejects bad options %j before querying', async (bad, message) => {
    const hub = new FakeHub();
    const options = {
      registry: hub.registry,
      deviceIds: ['a'],
      predicate: () => ({ done: false, reason: '' }),
      ...bad,
    };
    const outcome = await settle(pollQueryUntil(options as never));
    expect((outcome as { error: unknown }).error).toBeInstanceOf(PollOptionsError);
    expect(String((outcome as { error: unknown }).error)).toMatch(message);
    expect(hub.requests).toHaveLength(0);
  });
});
