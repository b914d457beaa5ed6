import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildApp } from '@iothub-reboot/app-kit';
import { createServiceClients } from '@iothub-reboot/service-connection';
import { type E2eHub, expectExitCode, jsonResult, startE2eHub } from './harness';

const ONLINE = 50;
const OFFLINE = ['fleet-off-a', 'fleet-off-b', 'fleet-off-c'];

// 50 simulated devices in one device-app process (each a real SDK client with its own identity), a few
// registered but offline ones, and the service app's fleet mode over them.
describe('fleet reboot, end to end', () => {
  let e2e: E2eHub;
  let fleet: ChildApp;
  let stateDir: string;

  beforeAll(async () => {
    e2e = await startE2eHub();
    stateDir = await mkdtemp(join(tmpdir(), 'fleet-state-'));
    fleet = e2e.startDevice(
      'fleet',
      [
        '--count',
        String(ONLINE),
        '--id-prefix',
        'fleet-',
        '--sites',
        '4',
        '--reboot-seconds',
        '0.2',
        '--gateway-host-name',
        `127.0.0.1:${e2e.hub.mqttPort}`,
        '--state-dir',
        stateDir,
      ],
      { IOTHUB_CONNECTION_STRING: e2e.hub.serviceConnectionString(), IOTHUB_DEVICE_CONNECTION_STRING: '' },
    );
    await fleet.waitForLine(/Fleet connected; waiting for commands/);
    // Registered, tagged like the fleet, never connected.
    const { registry, close } = createServiceClients(e2e.hub.serviceConnectionString(), {
      ca: e2e.hub.caPem,
    });
    for (const deviceId of OFFLINE) {
      await e2e.hub.createDevice(deviceId);
      await registry.updateTwin(deviceId, { tags: { simulator: 'fleet-', site: 'site-1' } }, '*');
    }
    await close();
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const fleetArgs = [
    '--json',
    '--connect-timeout',
    '0',
    '--response-timeout',
    '10',
    '--poll-interval',
    '0.2',
    '--max-polls',
    '25',
  ];

  it('fans out over a --where selection and reports the offline devices as failed (partial: exit 10)', async () => {
    const { code, stdout, app } = await e2e.runService([
      '--where',
      "tags.simulator = 'fleet-'",
      ...fleetArgs,
    ]);
    expectExitCode(code, 10, app, fleet);
    const report = jsonResult(stdout) as {
      counts: Record<string, number>;
      devices: Array<{ deviceId: string; outcome: string }>;
    };
    expect(report).toMatchObject({ ok: false, outcome: 'partial', strategy: 'fan-out' });
    expect(report.counts).toMatchObject({
      total: ONLINE + OFFLINE.length,
      rebooted: ONLINE,
      'device-offline': OFFLINE.length,
    });
    expect(report.devices.filter((d) => d.outcome === 'device-offline').map((d) => d.deviceId)).toEqual(
      OFFLINE,
    );
  }, 60_000);

  it('reboots only the subset a --where on a tag selects (all succeed: exit 0)', async () => {
    // The Ctrl-C test's 'slow-' fleet is tagged with sites too: select this fleet's devices only.
    const { code, stdout, app } = await e2e.runService([
      '--where',
      "tags.simulator = 'fleet-' AND tags.site = 'site-2'",
      ...fleetArgs,
    ]);
    expectExitCode(code, 0, app);
    const report = jsonResult(stdout) as {
      counts: { total: number };
      devices: Array<{ deviceId: string; lastRebootTime: string }>;
    };
    const inSite2 = Array.from({ length: ONLINE }, (_, i) => i).filter((i) => i % 4 === 2).length; // round-robin sites
    expect(report.counts.total).toBe(inSite2);
    for (const d of report.devices) {
      expect(Number(d.deviceId.slice('fleet-'.length)) % 4).toBe(2);
      expect(d.lastRebootTime).toEqual(expect.any(String));
      expect(d).toMatchObject({ confirmedBy: 'correlation-id' });
    }
  }, 60_000);

  it('fans out over an explicit --devices list and prints a summary table', async () => {
    const { code, stdout, app } = await e2e.runService([
      '--devices',
      'fleet-00,fleet-01,fleet-off-a',
      ...fleetArgs.filter((a) => a !== '--json'),
    ]);
    expectExitCode(code, 10, app);
    const text = stdout.join('\n');
    expect(text).toMatch(/2 of 3 rebooted and confirmed/);
    expect(text).toMatch(/fleet-off-a\s+device-offline/);
  }, 60_000);

  it.each([
    ['fan-out', []],
    ['job', ['--job']],
  ])(
    'names an unregistered device in --devices device-not-found (%s)',
    async (_mode, extra) => {
      const { code, stdout, app } = await e2e.runService([
        '--devices',
        'fleet-02,no-such-device',
        ...extra,
        ...fleetArgs,
      ]);
      expectExitCode(code, 10, app);
      const report = jsonResult(stdout) as { devices: Array<{ deviceId: string; outcome: string }> };
      expect(report.devices.find((d) => d.deviceId === 'no-such-device')).toMatchObject({
        outcome: 'device-not-found',
      });
      expect(report.devices.find((d) => d.deviceId === 'fleet-02')).toMatchObject({ outcome: 'rebooted' });
    },
    60_000,
  );

  it('reboots through an IoT Hub job and reads per-device results from devices.jobs', async () => {
    const { code, stdout, app } = await e2e.runService([
      '--where',
      "tags.simulator = 'fleet-'",
      '--job',
      ...fleetArgs,
    ]);
    expectExitCode(code, 10, app);
    const report = jsonResult(stdout) as {
      jobId: string;
      counts: Record<string, number>;
      devices: Array<{ deviceId: string; outcome: string; status?: number }>;
    };
    expect(report).toMatchObject({
      ok: false,
      outcome: 'partial',
      strategy: 'job',
      jobId: expect.stringMatching(/^reboot-/),
    });
    expect(report.counts).toMatchObject({
      total: ONLINE + OFFLINE.length,
      rebooted: ONLINE,
      'device-offline': OFFLINE.length,
    });
    expect(report.devices.find((d) => d.deviceId === 'fleet-00')).toMatchObject({
      outcome: 'rebooted',
      status: 200,
    });
  }, 60_000);

  it('cancels its job on Ctrl-C', async () => {
    const slow = e2e.startDevice(
      'slow',
      [
        '--count',
        '3',
        '--id-prefix',
        'slow-',
        '--reboot-seconds',
        '30',
        '--gateway-host-name',
        `127.0.0.1:${e2e.hub.mqttPort}`,
        '--state-dir',
        stateDir,
      ],
      { IOTHUB_CONNECTION_STRING: e2e.hub.serviceConnectionString(), IOTHUB_DEVICE_CONNECTION_STRING: '' },
    );
    await slow.waitForLine(/Fleet connected; waiting for commands/);
    const service = e2e.startService([
      '--where',
      "tags.simulator = 'slow-'",
      '--job',
      '--response-timeout',
      '60',
    ]);
    const scheduled = await service.waitForLine(/^Scheduled job /);
    const jobId = scheduled.slice('Scheduled job '.length).trim();
    await service.stop(); // SIGTERM, as Ctrl-C
    const { jobClient, close } = createServiceClients(e2e.hub.serviceConnectionString(), {
      ca: e2e.hub.caPem,
    });
    try {
      const { jobStatus } = await jobClient.getJob(jobId);
      expect(jobStatus).toMatchObject({ jobId, status: 'cancelled' });
    } finally {
      await close();
      await slow.stop();
    }
  }, 60_000);
});
