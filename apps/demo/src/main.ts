#!/usr/bin/env node
/**
 * The README's first command: the tutorial's two consoles in one terminal. Starts a local hub, makes
 * sure the demo device exists, runs the device app and the service app as separate processes with their
 * output labelled, and exits 0 once the service has confirmed the reboot. Any failure exits non-zero and
 * leaves no process behind.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type ChildApp,
  CliError,
  createAppLogger,
  labelLines,
  runCli,
  startChildApp,
} from '@iothub-reboot/app-kit';
import { startLocalHub } from '@iothub-reboot/local-hub';

const DEVICE_ID = 'demo-device';
const REBOOT_SECONDS = '3'; // the seed's 20 s shortened so the demo stays quick
const DEMO_TIMEOUT_MS = 60_000;

const appScript = (app: string) => require.resolve(`@iothub-reboot/${app}-app/main`);

void runCli('demo', async ({ onShutdown, signal }) => {
  const emit = (line: string) => process.stdout.write(`${line}\n`);
  const hubLines = labelLines('[hub]    ', emit);
  const hubLogger = createAppLogger({
    name: 'hub',
    level: process.env.LOG_LEVEL ?? 'info',
    pretty: true,
    destination: new Writable({ write: (chunk, _encoding, done) => done(void hubLines.write(chunk)) }),
  });
  const workDir = await mkdtemp(join(tmpdir(), 'iothub-reboot-demo-'));
  onShutdown(() => rm(workDir, { recursive: true, force: true }));

  const hub = await startLocalHub({
    dataDir: join(workDir, 'hub'),
    mqttPort: 0,
    httpsPort: 0,
    logger: hubLogger,
  });
  onShutdown(() => hub.close());
  const caFile = join(workDir, 'local-hub-ca.pem');
  await writeFile(caFile, hub.caPem);
  emit(`[demo]    local hub ready: MQTT 127.0.0.1:${hub.mqttPort}, HTTPS 127.0.0.1:${hub.httpsPort}`);
  await hub.createDevice(DEVICE_ID).catch(() => undefined); // already there is fine
  emit(`[demo]    device "${DEVICE_ID}" registered; starting the device app and the service app`);

  const childEnv = { LOG_FORMAT: 'pretty', NODE_EXTRA_CA_CERTS: '' };
  const children: ChildApp[] = [];
  onShutdown(async () => {
    await Promise.all(children.map((c) => c.stop()));
  });
  const device = startChildApp({
    label: '[device] ',
    script: appScript('device'),
    args: ['--ca', caFile, '--reboot-seconds', REBOOT_SECONDS, '--state-dir', join(workDir, 'device-state')],
    env: { ...childEnv, IOTHUB_DEVICE_CONNECTION_STRING: hub.deviceConnectionString(DEVICE_ID) },
    emit,
  });
  children.push(device);
  const service = startChildApp({
    label: '[service]',
    script: appScript('service'),
    // The service waits (connect timeout) until the device app is online and subscribed.
    args: ['--ca', caFile, '--connect-timeout', '20', '--poll-interval', '1', '--max-polls', '15'],
    env: {
      ...childEnv,
      IOTHUB_CONNECTION_STRING: hub.serviceConnectionString(),
      IOTHUB_DEVICE_ID: DEVICE_ID,
    },
    emit,
  });
  children.push(service);

  const outcome = await Promise.race([
    service.exited.then((code) => ({ by: 'service', code })),
    device.exited.then((code) => ({ by: 'device', code })),
    new Promise<{ by: 'timeout'; code: number }>((resolve) => {
      const timer = setTimeout(() => resolve({ by: 'timeout', code: 1 }), DEMO_TIMEOUT_MS);
      timer.unref();
      signal.addEventListener('abort', () => clearTimeout(timer));
    }),
  ]);
  if (outcome.by === 'service' && outcome.code === 0) {
    emit('[demo]    the service confirmed the reboot through the device twin: done');
    return 0;
  }
  const why =
    outcome.by === 'timeout'
      ? `no confirmation within ${DEMO_TIMEOUT_MS / 1000} s`
      : `the ${outcome.by} app exited with code ${outcome.code}`;
  throw new CliError(`the demo failed: ${why}`, { exitCode: 1, code: 'demo-failed' });
});
