import { fleetExitCode, fleetReport, summaryTable } from './fleet-report';

const at = new Date('2026-11-28T05:00:00.000Z');

describe('fleetReport', () => {
  it('is all-rebooted and exit 0 only when every device rebooted', () => {
    const report = fleetReport(
      [
        { deviceId: 'b', outcome: 'rebooted', status: 200, lastRebootTime: '2026-11-28T05:00:01.000Z' },
        { deviceId: 'a', outcome: 'rebooted', status: 200, lastRebootTime: '2026-11-28T05:00:01.000Z' },
      ],
      { strategy: 'fan-out', requestedAt: at },
    );
    expect(report).toMatchObject({
      ok: true,
      outcome: 'all-rebooted',
      counts: { total: 2, rebooted: 2, failed: 0 },
    });
    expect(report.devices.map((d) => d.deviceId)).toEqual(['a', 'b']);
    expect(fleetExitCode(report)).toBe(0);
  });

  it('separates partial success (10) from none (11) and counts each outcome', () => {
    const partial = fleetReport(
      [
        { deviceId: 'a', outcome: 'rebooted' },
        { deviceId: 'b', outcome: 'device-offline', error: 'offline' },
        { deviceId: 'c', outcome: 'device-offline', error: 'offline' },
      ],
      { strategy: 'job', requestedAt: at, jobId: 'j1' },
    );
    expect(partial).toMatchObject({
      ok: false,
      outcome: 'partial',
      jobId: 'j1',
      counts: { total: 3, rebooted: 1, failed: 2, 'device-offline': 2 },
    });
    expect(fleetExitCode(partial)).toBe(10);
    const none = fleetReport([{ deviceId: 'a', outcome: 'not-reported' }], {
      strategy: 'fan-out',
      requestedAt: at,
    });
    expect(none.outcome).toBe('none-rebooted');
    expect(fleetExitCode(none)).toBe(11);
  });

  it('summarises counts and lists the devices that failed', () => {
    const table = summaryTable(
      fleetReport(
        [
          { deviceId: 'a', outcome: 'rebooted' },
          { deviceId: 'b', outcome: 'method-timed-out', error: 'no answer in 5 s' },
        ],
        { strategy: 'fan-out', requestedAt: at },
      ),
    );
    expect(table).toMatch(/1 of 2 rebooted and confirmed/);
    expect(table).toMatch(/method-timed-out\s+1/);
    expect(table).toMatch(/b\s+method-timed-out\s+no answer in 5 s/);
  });

  it('shows the waves of a stopped rollout, exits 13, and does not count skipped devices as failures', () => {
    const report = fleetReport(
      [
        { deviceId: 'a', outcome: 'rebooted', wave: 1 },
        { deviceId: 'b', outcome: 'reboot-failed', wave: 2, error: 'relay stuck' },
        { deviceId: 'c', outcome: 'skipped', wave: 3, error: 'not started' },
      ],
      {
        strategy: 'fan-out',
        requestedAt: at,
        waves: [
          { wave: 1, devices: 1, status: 'done', rebooted: 1, failed: 0 },
          { wave: 2, devices: 1, status: 'done', rebooted: 0, failed: 1 },
          { wave: 3, devices: 1, status: 'skipped', rebooted: 0, failed: 0 },
        ],
        stopped: { afterWave: 2, failures: 1, devices: 1, limit: '0' },
      },
    );
    expect(report.counts).toMatchObject({ total: 3, rebooted: 1, failed: 1, skipped: 1 });
    expect(fleetExitCode(report)).toBe(13);
    const table = summaryTable(report);
    expect(table).toMatch(/Rollout stopped after wave 2: 1 of 1 failed, more than --max-failures 0/);
    expect(table).toMatch(/\s+3\s+1\s+0\s+0\s+not started/);
    expect(table).toMatch(/b\s+2\s+reboot-failed\s+relay stuck/);
    expect(table).not.toMatch(/^\s+c\s/m);
  });

  it('counts devices that reported a failed reboot, with their reason', () => {
    const report = fleetReport(
      [
        { deviceId: 'a', outcome: 'rebooted', confirmedBy: 'correlation-id' },
        { deviceId: 'b', outcome: 'reboot-failed', error: 'relay stuck' },
      ],
      { strategy: 'fan-out', requestedAt: at, correlationId: 'reboot-1' },
    );
    expect(report).toMatchObject({ correlationId: 'reboot-1', counts: { 'reboot-failed': 1, failed: 1 } });
    expect(summaryTable(report)).toMatch(/b\s+reboot-failed\s+relay stuck/);
  });
});
