// The adapters against the real azure-iothub Registry and Query classes, over an in-memory REST client.
import { buildRebootReport } from '@iothub-reboot/contracts';
import { PollFatalError } from './errors';
import { pollQueryUntil } from './fleet';
import { readAllPages } from './query-pages';
import { pollTwinUntilRebooted, rebootReportedAfter } from './reboot';
import { FakeHub } from './test-support/fake-registry';
import { after, REQUESTED, settle, useFakeTimeAtRequest } from './test-support/fake-time';

useFakeTimeAtRequest();

describe('pollTwinUntilRebooted over Registry.getTwin', () => {
  it('reads the Twin the SDK builds from the response and waits for the new reboot', async () => {
    const hub = new FakeHub();
    hub.setReported('dev1', buildRebootReport(after(-86_400_000)));
    const done = settle(
      pollTwinUntilRebooted(hub.registry, 'dev1', {
        requestedAt: REQUESTED,
        intervalMs: 1000,
        onAttempt: ({ attempt }) => {
          if (attempt === 2) hub.setReported('dev1', buildRebootReport(after(1500)));
        },
      }),
    );
    expect(await done).toEqual({
      ok: true,
      value: {
        value: {
          reported: true,
          rebootTime: after(1500),
          source: 'rebootTime',
          outcome: 'rebooted',
          confirmedBy: 'device-clock',
        },
        attempts: 3,
        elapsedMs: 2000,
      },
    });
    expect(hub.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(
      Array(3).fill('GET /twins/dev1'),
    );
  });

  it("retries the SDK's ThrottlingError after Retry-After, then fails on its UnauthorizedError", async () => {
    const hub = new FakeHub();
    hub.setReported('dev1', {});
    hub.failures.push({ status: 429, code: 'ThrottlingBacklogTimeout', headers: { 'retry-after': '7' } });
    hub.failures.push({ status: 401, code: 'IotHubUnauthorizedAccess' });
    const waits: Array<number | undefined> = [];
    const outcome = await settle(
      pollTwinUntilRebooted(hub.registry, 'dev1', {
        requestedAt: REQUESTED,
        onAttempt: (r) => waits.push(r.nextAttemptInMs),
      }),
    );
    expect(waits[0]).toBeGreaterThanOrEqual(7000);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: PollFatalError }).error;
    expect(error).toBeInstanceOf(PollFatalError);
    expect(error.hint).toMatch(/refused the credentials/);
    expect(error).toMatchObject({ attempts: 2, cause: { name: 'UnauthorizedError', statusCode: 401 } });
  });
});

describe('twin queries with the SDK Query', () => {
  it('follows continuation tokens page by page and stops after the last page', async () => {
    const hub = new FakeHub();
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) hub.setReported(id, {});
    const sql = `SELECT * FROM devices WHERE deviceId IN [${ids.map((id) => `'${id}'`).join(', ')}]`;
    const rows = await readAllPages(hub.registry, sql, 2, 10, new AbortController().signal);
    expect(rows.map((row) => (row as { deviceId: string }).deviceId)).toEqual(ids);
    expect(hub.requests.map((r) => r.continuation)).toEqual([undefined, '2', '4']);
  });

  it('stops a hub that repeats pages instead of looping forever', async () => {
    const hub = new FakeHub();
    hub.setReported('a', {});
    hub.setReported('b', {});
    // What the SDK's promise-style next() without a token does: every call reads page 1 again.
    const broken = {
      createQuery: (sql: string, pageSize?: number) => {
        const query = hub.registry.createQuery(sql, pageSize);
        const next = query.next.bind(query) as (token?: string) => Promise<{ result: unknown }>;
        return Object.assign(query, { next: () => next() });
      },
    };
    await expect(
      readAllPages(
        broken,
        "SELECT * FROM devices WHERE deviceId IN ['a', 'b']",
        1,
        3,
        new AbortController().signal,
      ),
    ).rejects.toThrow(/more results after 3 pages/);
    expect(hub.requests).toHaveLength(3);
  });
});

describe('pollQueryUntil over Registry.createQuery', () => {
  it('queries only pending devices, one request per page per round, until all are done', async () => {
    const hub = new FakeHub();
    for (const id of ['d1', 'd2', 'd3']) hub.setReported(id, buildRebootReport(after(-60_000)));
    const rounds: Array<string[]> = [];
    const done = settle(
      pollQueryUntil({
        registry: hub.registry,
        deviceIds: ['d1', 'd2', 'd3'],
        predicate: rebootReportedAfter({ requestedAt: REQUESTED }),
        pageSize: 2,
        intervalMs: 1000,
        onAttempt: (report) => {
          const { attempt } = report;
          if ('observation' in report) rounds.push(report.observation.pending.map((p) => p.deviceId));
          if (attempt === 1) hub.setReported('d2', buildRebootReport(after(100)));
          if (attempt === 2) {
            hub.setReported('d1', buildRebootReport(after(200)));
            hub.setReported('d3', buildRebootReport(after(300)));
          }
        },
      }),
    );
    const outcome = await done;
    expect(outcome).toMatchObject({ ok: true, value: { attempts: 3, elapsedMs: 2000 } });
    const progress = (outcome as { value: { value: unknown } }).value.value;
    expect(progress).toEqual({
      done: [
        { deviceId: 'd1', value: { reported: true, rebootTime: after(200), source: 'rebootTime' } },
        { deviceId: 'd2', value: { reported: true, rebootTime: after(100), source: 'rebootTime' } },
        { deviceId: 'd3', value: { reported: true, rebootTime: after(300), source: 'rebootTime' } },
      ],
      pending: [],
    });
    expect(rounds).toEqual([['d1', 'd2', 'd3'], ['d1', 'd3'], []]);
    // Pages of 2: rounds 1 and 2 ask for 3 devices (2 requests each), round 3 for the 2 still pending (1).
    expect(hub.requests.map((r) => r.continuation ?? '-')).toEqual(['-', '2', '-', '2', '-']);
    expect(hub.requests[4]?.query).toBe("SELECT * FROM devices WHERE deviceId IN ['d1', 'd3']");
  });
});
