import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';
import { type LocalHub, type ServiceClients, startTestHub } from '@iothub-reboot/local-hub/testing';

/** The built apps, run as real processes exactly as a user runs them. */
export const DEVICE_APP = require.resolve('@iothub-reboot/device-app/main');
export const SERVICE_APP = join(__dirname, '..', '..', 'dist', 'main.js');

/** A local hub in memory on free ports, with its CA in a file the apps can be pointed at. */
export interface E2eHub {
  hub: LocalHub;
  caFile: string;
  workDir: string;
  /** Every line any app printed, for the secret scan. */
  output: string[];
  startDevice(deviceId: string, args?: string[], env?: NodeJS.ProcessEnv): ChildApp;
  /** The real service SDK's clients of the hub (closed with it). */
  service: ServiceClients;
  /** Reads a twin through the real service SDK. */
  twinOf(deviceId: string): Promise<{ properties: { reported: Record<string, unknown> } }>;
  /** Starts the service app; its lines are in `lines` as they arrive. */
  startService(args: string[], env?: NodeJS.ProcessEnv): ChildApp;
  /** Runs the service app to its exit. */
  runService(
    args: string[],
    env?: NodeJS.ProcessEnv,
  ): Promise<{ code: number; stdout: string[]; app: ChildApp }>;
  close(): Promise<void>;
}

export async function startE2eHub(): Promise<E2eHub> {
  const kit = await startTestHub();
  const { hub } = kit;
  const workDir = await mkdtemp(join(tmpdir(), 'iothub-reboot-e2e-'));
  const caFile = join(workDir, 'ca.pem');
  await writeFile(caFile, hub.caPem);
  const output: string[] = [];
  // E2E_DEBUG=1 shows every app's output live, for diagnosing a hanging test.
  const record = (line: string) => {
    output.push(line);
    if (process.env.E2E_DEBUG) process.stderr.write(`${line}\n`);
  };
  const apps = new Set<ChildApp>();
  const track = (app: ChildApp) => {
    apps.add(app);
    void app.exited.then(() => apps.delete(app));
    return app;
  };
  const startService = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    track(
      startChildApp({
        label: '[service]',
        script: SERVICE_APP,
        args: ['--ca', caFile, '--poll-interval', '0.2', '--log-level', 'debug', ...args],
        env: { LOG_FORMAT: 'json', IOTHUB_CONNECTION_STRING: hub.serviceConnectionString(), ...env },
        emit: record,
      }),
    );
  return {
    hub,
    caFile,
    workDir,
    output,
    startDevice: (deviceId, args = [], env = {}) =>
      track(
        startChildApp({
          label: `[${deviceId}]`,
          script: DEVICE_APP,
          args: ['--ca', caFile, '--state-dir', join(workDir, 'state'), '--log-level', 'debug', ...args],
          env: {
            LOG_FORMAT: 'json',
            ...env,
            IOTHUB_DEVICE_CONNECTION_STRING:
              env.IOTHUB_DEVICE_CONNECTION_STRING ?? hub.deviceConnectionString(deviceId),
          },
          emit: record,
        }),
      ),
    startService,
    service: kit.service,
    twinOf: async (deviceId) =>
      (await kit.service.registry.getTwin(deviceId)).responseBody as unknown as {
        properties: { reported: Record<string, unknown> };
      },
    async runService(args, env = {}) {
      const app = startService(args, env);
      const code = await app.exited;
      return { code, stdout: [...app.lines], app };
    },
    close: async () => {
      await Promise.all([...apps].map((app) => app.stop(2000)));
      await kit.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** The one JSON object a `--json` run prints (log lines are JSON too, but have a `level`). */
export function jsonResult(lines: readonly string[]): Record<string, unknown> {
  const results = lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((obj) => 'ok' in obj && !('level' in obj));
  if (results.length !== 1)
    throw new Error(`expected one JSON result, got ${results.length}:\n${lines.join('\n')}`);
  return results[0] as Record<string, unknown>;
}

/** Asserts an exit code; on mismatch the error shows what every app involved printed. */
export function expectExitCode(actual: number, expected: number, ...apps: ChildApp[]): void {
  if (actual === expected) return;
  const transcript = apps.map((app) => `--- ${app.label}\n${app.lines.join('\n')}`).join('\n');
  throw new Error(`exit code ${actual}, expected ${expected}\n${transcript}`);
}
