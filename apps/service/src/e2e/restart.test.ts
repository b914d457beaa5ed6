import { type E2eHub, expectExitCode, jsonResult, startE2eHub } from './harness';

// The device app's --reboot-command as a real restart: the command kills the device process (as a
// power-down would), the test starts it again (as the init system would), and the service confirms the
// reboot through the twin by its correlation id. Real apps as processes, real SDKs, TLS.
describe('a real restart with --reboot-command, end to end', () => {
  let e2e: E2eHub;

  beforeAll(async () => {
    e2e = await startE2eHub();
  });

  afterAll(async () => {
    await e2e?.close();
  });

  const serviceArgs = (deviceId: string) => [
    '--device-id',
    deviceId,
    '--json',
    '--connect-timeout',
    '30',
    '--max-polls',
    '150',
  ];

  it('is reported once, after the restart, with the correlation id', async () => {
    await e2e.hub.createDevice('dev-restart');
    const first = e2e.startDevice('dev-restart', ['--reboot-command', 'kill -KILL $PPID']);
    await first.waitForLine(/Waiting for commands/);
    const service = e2e.startService(serviceArgs('dev-restart'));
    // The command ended the device process; the record it left is durable.
    expect(await first.exited).toBe(137);
    const during = await e2e.twinOf('dev-restart');
    expect(during.properties.reported.iothubDM).toMatchObject({ reboot: { status: 'rebooting' } });

    const second = e2e.startDevice('dev-restart');
    const code = await service.exited;
    expectExitCode(code, 0, service, first, second);
    const result = jsonResult(service.lines);
    expect(result).toMatchObject({
      ok: true,
      method: { status: 202 },
      confirmedBy: 'correlation-id',
    });
    await second.waitForLine(/Reported the reboot recorded before the restart/);
    const after = await e2e.twinOf('dev-restart');
    expect(after.properties.reported.iothubDM).toMatchObject({
      reboot: { status: 'rebooted', correlationId: result.correlationId },
    });
    expect(await second.stop()).toBe(0);

    // Once: a further start has nothing to report, and the twin does not change.
    const version = after.properties.reported.$version;
    const third = e2e.startDevice('dev-restart');
    await third.waitForLine(/Waiting for commands/);
    expect(third.lines.some((l) => /Reported the reboot recorded before the restart/.test(l))).toBe(false);
    expect((await e2e.twinOf('dev-restart')).properties.reported.$version).toBe(version);
    expect(await third.stop()).toBe(0);
  }, 60_000);

  it('a failing command is reported failed: the service stops waiting at once (exit 12)', async () => {
    await e2e.hub.createDevice('dev-cmd-fails');
    const device = e2e.startDevice('dev-cmd-fails', [
      '--reboot-command',
      'echo "no reboot today" >&2; exit 3',
    ]);
    await device.waitForLine(/Waiting for commands/);
    const started = Date.now();
    const { code, stdout, app } = await e2e.runService([
      ...serviceArgs('dev-cmd-fails'),
      '--poll-interval',
      '1',
    ]);
    expectExitCode(code, 12, app, device);
    expect(jsonResult(stdout)).toMatchObject({
      ok: false,
      outcome: 'reboot-failed',
      method: { status: 202 },
      error: expect.stringMatching(/exited with code 3: no reboot today/),
    });
    expect(Date.now() - started).toBeLessThan(20_000); // far inside 150 polls of 1 s
    const twin = await e2e.twinOf('dev-cmd-fails');
    expect(twin.properties.reported.iothubDM).toMatchObject({ reboot: { status: 'failed' } });
    // A twin query finds the failed devices.
    const found = await e2e.runService([
      '--where',
      "properties.reported.iothubDM.reboot.status = 'failed'",
      '--dry-run',
      '--json',
    ]);
    expectExitCode(found.code, 0, found.app);
    // The fleet test's failing device may be in it too, when it ran first.
    expect(jsonResult(found.stdout)).toMatchObject({
      waves: [{ wave: 1, devices: expect.arrayContaining(['dev-cmd-fails']) }],
    });
    expect(await device.stop()).toBe(0);
  }, 60_000);

  it('in a fleet, the failed device ends at once while the others are confirmed', async () => {
    await e2e.hub.createDevice('fleet-cmd-ok');
    await e2e.hub.createDevice('fleet-cmd-fails');
    const ok = e2e.startDevice('fleet-cmd-ok', ['--reboot-seconds', '0.2']);
    const failing = e2e.startDevice('fleet-cmd-fails', ['--reboot-command', 'exit 1']);
    await Promise.all([ok, failing].map((d) => d.waitForLine(/Waiting for commands/)));
    const { code, stdout, app } = await e2e.runService([
      '--devices',
      'fleet-cmd-ok,fleet-cmd-fails',
      '--json',
      '--connect-timeout',
      '10',
      '--max-polls',
      '150',
    ]);
    expectExitCode(code, 10, app, ok, failing);
    const report = jsonResult(stdout) as { devices: Array<Record<string, unknown>>; counts: object };
    expect(report.counts).toMatchObject({ rebooted: 1, 'reboot-failed': 1 });
    expect(report.devices).toEqual([
      expect.objectContaining({ deviceId: 'fleet-cmd-fails', outcome: 'reboot-failed' }),
      expect.objectContaining({
        deviceId: 'fleet-cmd-ok',
        outcome: 'rebooted',
        confirmedBy: 'correlation-id',
      }),
    ]);
    await Promise.all([ok.stop(), failing.stop()]);
  }, 60_000);
});
