import { readFile } from 'node:fs/promises';
import { type E2eHub, expectExitCode, jsonResult, startE2eHub } from './harness';

// The real apps as processes, the real Azure SDKs inside them, MQTT and HTTPS over TLS to a local hub.
describe('remote reboot, end to end', () => {
  let e2e: E2eHub;
  /** Keys the device list does not show (modules'), for the secret scan. */
  const moduleKeys: string[] = [];

  beforeAll(async () => {
    e2e = await startE2eHub();
  });

  afterAll(async () => {
    await e2e?.close();
  });

  afterAll(() => {
    // No key, signature or full connection string in anything any app printed, at debug level.
    const keys = [...e2e.hub.listDevices().flatMap((d) => [d.primaryKey, d.secondaryKey]), ...moduleKeys];
    const ownerKey = /SharedAccessKey=([^;]+)/.exec(e2e.hub.serviceConnectionString())?.[1] ?? '';
    for (const line of e2e.output) {
      for (const secret of [...keys, ownerKey]) expect(line).not.toContain(secret);
      expect(line).not.toMatch(/sig=[A-Za-z0-9%]{10,}/);
    }
  });

  it('reboots through a module with --module-id, confirmed through the module twin', async () => {
    await e2e.hub.createDevice('dev-with-module');
    const module = await e2e.hub.createModule('dev-with-module', 'rebooter');
    moduleKeys.push(module.primaryKey, module.secondaryKey);
    // The device app on a module connection string (…;ModuleId=…): the SDK connects as the module.
    const app = e2e.startDevice('dev-with-module', ['--reboot-seconds', '0.2'], {
      IOTHUB_DEVICE_CONNECTION_STRING: module.connectionString,
    });
    const {
      code,
      stdout,
      app: service,
    } = await e2e.runService([
      '--device-id',
      'dev-with-module',
      '--module-id',
      'rebooter',
      '--json',
      '--connect-timeout',
      '30',
    ]);
    expectExitCode(code, 0, service, app);
    expect(jsonResult(stdout)).toMatchObject({
      ok: true,
      outcome: 'rebooted',
      deviceId: 'dev-with-module',
      moduleId: 'rebooter',
      confirmedBy: 'correlation-id',
    });
    // The report is in the module twin; the device twin has none.
    const { responseBody: moduleTwin } = await e2e.service.registry.getModuleTwin(
      'dev-with-module',
      'rebooter',
    );
    expect(moduleTwin.properties.reported).toHaveProperty('iothubDM');
    expect((await e2e.twinOf('dev-with-module')).properties.reported).not.toHaveProperty('iothubDM');
    await app.waitForLine(/Device rebooted/);
    expect(await app.stop()).toBe(0);
  });

  it('reboots and confirms through the twin (report-then-respond, --json)', async () => {
    await e2e.hub.createDevice('dev-report');
    const device = e2e.startDevice('dev-report', ['--reboot-seconds', '0.2']);
    const { code, stdout, app } = await e2e.runService([
      '--device-id',
      'dev-report',
      '--json',
      '--connect-timeout',
      '30',
    ]);
    expectExitCode(code, 0, app, device);
    const result = jsonResult(stdout);
    expect(result).toMatchObject({
      ok: true,
      outcome: 'rebooted',
      deviceId: 'dev-report',
      methodName: 'rebootDevice',
      method: { status: 200, payload: { result: 'rebooted' } },
      polls: 1, // reported before the answer: the first read sees it
      // The app put a generated correlation id in the payload; the device echoed it in its twin.
      confirmedBy: 'correlation-id',
      correlationId: expect.stringMatching(/^reboot-[0-9a-f-]{36}$/),
    });
    const twin = await e2e.twinOf('dev-report');
    expect(twin.properties.reported.iothubDM).toMatchObject({
      reboot: { status: 'rebooted', correlationId: result.correlationId },
    });
    expect(Date.parse(result.lastRebootTime as string)).toBeGreaterThan(
      Date.parse(result.requestedAt as string),
    );
    await device.waitForLine(/Device twin updated with latest rebootTime/);
    await device.waitForLine(/Device rebooted/);
    expect(await device.stop()).toBe(0);
  });

  it('reboots and confirms in respond-then-reboot mode, printing prose', async () => {
    await e2e.hub.createDevice('dev-respond');
    const device = e2e.startDevice('dev-respond', ['--reboot-seconds', '1', '--mode', 'respond-then-reboot']);
    const { code, stdout, app } = await e2e.runService([
      '--device-id',
      'dev-respond',
      '--connect-timeout',
      '30',
    ]);
    expectExitCode(code, 0, app);
    expect(stdout).toContainEqual(expect.stringMatching(/^Device answered 202: .*"result":"accepted"/));
    expect(stdout).toContainEqual(expect.stringMatching(/^Last reboot time: \d{4}-\d\d-\d\dT/));
    expect(await device.stop()).toBe(0);
  });

  it('--delay schedules the reboot: 202 at once, rebooting with the planned time, then confirmed', async () => {
    await e2e.hub.createDevice('dev-delay');
    const device = e2e.startDevice('dev-delay', ['--reboot-seconds', '0']);
    await device.waitForLine(/Waiting for commands/);
    const service = e2e.startService(['--device-id', 'dev-delay', '--delay', '2', '--json']);
    await device.waitForLine(/Reboot scheduled/);
    const during = await e2e.twinOf('dev-delay');
    const state = (during.properties.reported.iothubDM as { reboot: Record<string, string> }).reboot;
    expect(state).toMatchObject({ status: 'rebooting', scheduledFor: expect.any(String) });
    expect(Date.parse(state.scheduledFor ?? '') - Date.parse(state.startedAt ?? '')).toBe(2000);
    const code = await service.exited;
    expectExitCode(code, 0, service, device);
    const result = jsonResult(service.lines);
    expect(result).toMatchObject({
      ok: true,
      method: { status: 202, payload: { message: expect.stringMatching(/^Reboot scheduled for /) } },
      confirmedBy: 'correlation-id',
    });
    expect(Date.parse(result.lastRebootTime as string)).toBeGreaterThanOrEqual(
      Date.parse(state.scheduledFor ?? ''),
    );
    expect(await device.stop()).toBe(0);
  });

  it("accepts the seed Python service's double-encoded string payload", async () => {
    await e2e.hub.createDevice('dev-seed');
    const device = e2e.startDevice('dev-seed', ['--reboot-seconds', '0']);
    const { code, stdout, app } = await e2e.runService([
      '--device-id',
      'dev-seed',
      '--payload-as-string',
      '--json',
      '--connect-timeout',
      '30',
    ]);
    expectExitCode(code, 0, app);
    expect(jsonResult(stdout)).toMatchObject({
      ok: true,
      method: { status: 200 },
      confirmedBy: 'correlation-id',
    });
    await device.stop();
  });

  it('reports a bad payload as a device error (400) and does not reboot', async () => {
    await e2e.hub.createDevice('dev-bad');
    const device = e2e.startDevice('dev-bad', ['--reboot-seconds', '0']);
    const { code, stdout, app } = await e2e.runService([
      '--device-id',
      'dev-bad',
      '--payload',
      '{"delaySeconds":"soon"}',
      '--json',
      '--connect-timeout',
      '30',
    ]);
    expectExitCode(code, 7, app);
    const result = jsonResult(stdout);
    expect(result).toMatchObject({ ok: false, outcome: 'device-error', method: { status: 400 } });
    expect(result.error).toMatch(/delaySeconds/);
    expect(device.lines.some((l) => /Rebooting device/.test(l))).toBe(false);
    await device.stop();
  });

  it('exits with the offline code when the device is not connected', async () => {
    await e2e.hub.createDevice('dev-offline');
    const { code, stdout, app } = await e2e.runService([
      '--device-id',
      'dev-offline',
      '--connect-timeout',
      '0',
      '--json',
    ]);
    expectExitCode(code, 5, app);
    expect(jsonResult(stdout)).toMatchObject({ ok: false, outcome: 'device-offline' });
  });

  it('exits with the not-found code for an unknown device', async () => {
    const { code, stdout, app } = await e2e.runService(['--device-id', 'nobody-here']);
    expectExitCode(code, 4, app);
    expect(stdout.join('\n')).toMatch(/service: device nobody-here is not registered/);
  });

  it('exits with the unauthorized code for a wrong service key, without printing it', async () => {
    const wrong = e2e.hub
      .serviceConnectionString()
      .replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleQ==');
    const { code, stdout, app } = await e2e.runService(['--device-id', 'dev-report'], {
      IOTHUB_CONNECTION_STRING: wrong,
    });
    expectExitCode(code, 3, app);
    expect(stdout.join('\n')).not.toContain('d3Jvbmcta2V5LXdyb25nLWtleQ==');
  });

  it('exits with the unreachable code when no hub listens', async () => {
    const nowhere = e2e.hub
      .serviceConnectionString()
      .replace(/GatewayHostName=[^;]+/, 'GatewayHostName=127.0.0.1:1');
    const { code, app } = await e2e.runService(['--device-id', 'dev-report'], {
      IOTHUB_CONNECTION_STRING: nowhere,
    });
    expectExitCode(code, 9, app);
  });

  it.each([
    ['a malformed connection string', { IOTHUB_CONNECTION_STRING: 'HostName=only' }, [] as string[]],
    ['no device id', {}, [] as string[]],
    ['a bad number', {}, ['--device-id', 'x', '--max-polls', 'many']],
  ])('exits 2 with a one-line message for %s', async (_what, env, args) => {
    const { code, stdout, app } = await e2e.runService(args, { IOTHUB_DEVICE_ID: '', ...env });
    expectExitCode(code, 2, app);
    expect(stdout.filter((l) => l.startsWith('service: '))).toHaveLength(1);
  });

  it('device app: exits 2 on a malformed connection string and 3 on a wrong key, never printing the key', async () => {
    const malformed = e2e.startDevice('x', [], { IOTHUB_DEVICE_CONNECTION_STRING: 'HostName=h;DeviceId=d' });
    expect(await malformed.exited).toBe(2);
    expect(malformed.lines.join('\n')).toMatch(/malformed/);

    await e2e.hub.createDevice('dev-wrong-key');
    const wrongKey = e2e.hub
      .deviceConnectionString('dev-wrong-key')
      .replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=bm90LXRoZS1yaWdodC1rZXktYXQtYWxs');
    const refused = e2e.startDevice('dev-wrong-key', [], { IOTHUB_DEVICE_CONNECTION_STRING: wrongKey });
    expect(await refused.exited).toBe(3);
    expect(refused.lines.join('\n')).not.toContain('bm90LXRoZS1yaWdodC1rZXktYXQtYWxs');

    const noCa = e2e.startDevice('dev-wrong-key', ['--ca', '/nonexistent/ca.pem']);
    expect(await noCa.exited).toBe(2);
  });

  it('reports a reboot interrupted by a crash once the device app restarts', async () => {
    await e2e.hub.createDevice('dev-crash');
    // respond-then-reboot: the service has its 202 while the device is still "rebooting".
    const first = e2e.startDevice('dev-crash', ['--reboot-seconds', '60', '--mode', 'respond-then-reboot']);
    const service = e2e.startService([
      '--device-id',
      'dev-crash',
      '--connect-timeout',
      '30',
      '--max-polls',
      '100',
    ]);
    // Kill only once the 202 reached the service: killed earlier, the answer itself may be lost with the
    // process (then the service rightly reports a method timeout instead).
    await service.waitForLine(/^Device answered 202/);
    await first.waitForLine(/Rebooting device/);
    await first.kill();
    const second = e2e.startDevice('dev-crash', ['--reboot-seconds', '60', '--mode', 'respond-then-reboot']);
    expectExitCode(await service.exited, 0, service, first, second);
    expect(service.lines).toContainEqual(expect.stringMatching(/^Last reboot time: /));
    await second.waitForLine(/Reported the reboot recorded before the restart/);
    const pending = await readFile(`${e2e.workDir}/state/dev-crash.pending-reboot.json`, 'utf8').catch(
      () => 'cleared',
    );
    expect(pending).toBe('cleared');
    await second.stop();
  }, 60_000);

  it('a method-name typo times out saying the device is connected but does not handle that name', async () => {
    await e2e.hub.createDevice('dev-typo');
    const device = e2e.startDevice('dev-typo', ['--reboot-seconds', '0']);
    await device.waitForLine(/Waiting for commands/);
    const service = e2e.startService([
      '--device-id',
      'dev-typo',
      '--method-name',
      'rebootDevcie',
      '--response-timeout',
      '5',
      '--json',
    ]);
    expectExitCode(await service.exited, 6, service, device);
    expect(jsonResult(service.lines)).toMatchObject({
      ok: false,
      outcome: 'method-timed-out',
      error: expect.stringMatching(
        /connected and subscribed to direct methods: check that it handles a method named "rebootDevcie"/,
      ),
    });
    await device.stop();
  }, 60_000);

  it('exits with the method-timeout code when the device dies before answering', async () => {
    await e2e.hub.createDevice('dev-dies');
    const device = e2e.startDevice('dev-dies', ['--reboot-seconds', '60']); // report-then-respond: answers last
    const service = e2e.startService([
      '--device-id',
      'dev-dies',
      '--connect-timeout',
      '30',
      '--response-timeout',
      '5',
      '--json',
    ]);
    await device.waitForLine(/Rebooting device/);
    await device.kill();
    expectExitCode(await service.exited, 6, service, device);
    expect(jsonResult(service.lines)).toMatchObject({ ok: false, outcome: 'method-timed-out' });
    // Restarted, the device reports the reboot the crash interrupted, exactly once.
    const again = e2e.startDevice('dev-dies', ['--reboot-seconds', '60']);
    await again.waitForLine(/Reported the reboot recorded before the restart/);
    const twin = await e2e.twinOf('dev-dies');
    expect(twin.properties.reported.rebootTime).toEqual(expect.any(String));
    await again.stop();
  }, 60_000);
});
