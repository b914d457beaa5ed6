import type { ChildApp } from '@iothub-reboot/app-kit';
import { type E2eHub, expectExitCode, jsonResult, startE2eHub } from './harness';

// Rollouts in waves with the real apps: a simulated fleet of 4 devices plus one device whose reboot
// command fails, the service app's --waves / --max-failures / --dry-run in fan-out and job mode.
describe('fleet rollouts in waves, end to end', () => {
  let e2e: E2eHub;
  let fleet: ChildApp;
  let failing: ChildApp;
  // The job-mode test's own fleet: its reboots must not show on the devices the other tests count.
  let jobFleet: ChildApp;

  beforeAll(async () => {
    e2e = await startE2eHub();
    fleet = e2e.startDevice(
      'wave',
      [
        '--count',
        '4',
        '--id-prefix',
        'wave-',
        '--reboot-seconds',
        '0.1',
        '--gateway-host-name',
        `127.0.0.1:${e2e.hub.mqttPort}`,
      ],
      { IOTHUB_CONNECTION_STRING: e2e.hub.serviceConnectionString(), IOTHUB_DEVICE_CONNECTION_STRING: '' },
    );
    jobFleet = e2e.startDevice(
      'job',
      [
        '--count',
        '4',
        '--id-prefix',
        'job-',
        '--reboot-seconds',
        '0.1',
        '--gateway-host-name',
        `127.0.0.1:${e2e.hub.mqttPort}`,
      ],
      { IOTHUB_CONNECTION_STRING: e2e.hub.serviceConnectionString(), IOTHUB_DEVICE_CONNECTION_STRING: '' },
    );
    await e2e.hub.createDevice('wave-bad');
    failing = e2e.startDevice('wave-bad', ['--reboot-command', 'exit 1']);
    await Promise.all([
      fleet.waitForLine(/Fleet connected; waiting for commands/),
      jobFleet.waitForLine(/Fleet connected; waiting for commands/),
      failing.waitForLine(/Waiting for commands/),
    ]);
  }, 120_000);

  afterAll(async () => {
    await e2e?.close();
  });

  const rebootsOf = (deviceId: string) =>
    [...fleet.lines, ...failing.lines].filter(
      (l) => l.includes('Rebooting device') && l.includes(`"deviceId":"${deviceId}"`),
    ).length;
  const common = ['--json', '--connect-timeout', '5', '--response-timeout', '10', '--max-polls', '100'];

  it('--dry-run prints the waves and touches nothing', async () => {
    const ids = ['wave-0', 'wave-bad', 'wave-1', 'wave-2', 'wave-3'];
    // Other tests of this file may have rebooted these devices already: nothing may be added.
    const before = ids.map(rebootsOf);
    const { code, stdout, app } = await e2e.runService([
      '--devices',
      'wave-0,wave-bad,wave-1,wave-2,wave-3',
      '--waves',
      '1,60%',
      '--dry-run',
      ...common,
    ]);
    expectExitCode(code, 0, app);
    expect(jsonResult(stdout)).toEqual({
      ok: true,
      outcome: 'dry-run',
      total: 5,
      waves: [
        { wave: 1, devices: ['wave-0'] },
        { wave: 2, devices: ['wave-bad', 'wave-1'] },
        { wave: 3, devices: ['wave-2', 'wave-3'] },
      ],
    });
    expect(ids.map(rebootsOf)).toEqual(before);
  });

  it('stops after the wave that crosses --max-failures and never touches the rest (exit 13)', async () => {
    const { code, stdout, app } = await e2e.runService([
      '--devices',
      'wave-0,wave-bad,wave-1,wave-2,wave-3',
      '--waves',
      '1,60%',
      '--max-failures',
      '0',
      ...common,
    ]);
    expectExitCode(code, 13, app, fleet, failing);
    const report = jsonResult(stdout) as {
      stopped: unknown;
      waves: unknown[];
      devices: Array<{ deviceId: string; outcome: string; wave: number }>;
    };
    expect(report.stopped).toEqual({ afterWave: 2, failures: 1, devices: 2, limit: '0' });
    expect(report.waves).toEqual([
      expect.objectContaining({ wave: 1, devices: 1, status: 'done', rebooted: 1, failed: 0 }),
      expect.objectContaining({ wave: 2, devices: 2, status: 'done', rebooted: 1, failed: 1 }),
      { wave: 3, devices: 2, status: 'skipped', rebooted: 0, failed: 0 },
    ]);
    expect(report.devices.map((d) => [d.deviceId, d.wave, d.outcome])).toEqual([
      ['wave-0', 1, 'rebooted'],
      ['wave-1', 2, 'rebooted'],
      ['wave-2', 3, 'skipped'],
      ['wave-3', 3, 'skipped'],
      ['wave-bad', 2, 'reboot-failed'],
    ]);
    // Never asked: no reboot ran, and their twins hold no reboot state (the log check does see reboots).
    expect(rebootsOf('wave-0')).toBeGreaterThan(0);
    for (const id of ['wave-2', 'wave-3']) {
      expect(rebootsOf(id)).toBe(0);
      expect((await e2e.twinOf(id)).properties.reported.iothubDM).toBeUndefined();
    }
  }, 60_000);

  it('job mode: one job per wave, each confirmed before the next, shown in the table', async () => {
    const { code, stdout, app } = await e2e.runService([
      '--where',
      "tags.simulator = 'job-'",
      '--job',
      '--waves',
      '50%',
      ...common.filter((a) => a !== '--json'),
    ]);
    expectExitCode(code, 0, app, jobFleet);
    const text = stdout.join('\n');
    expect(text).toMatch(/Wave 1\/2: 2 device\(s\)/);
    expect(text).toMatch(/Wave 2\/2: 2 rebooted, 0 failed/);
    expect(stdout.filter((l) => /^Scheduled job reboot-/.test(l))).toHaveLength(2);
    expect(text).toMatch(/4 of 4 rebooted and confirmed/);
    expect(text).toMatch(/\s+2\s+2\s+2\s+0\s+done/);
  }, 60_000);
});
