import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildApp, startChildApp } from '@iothub-reboot/app-kit';

/** The built CLI, as the bin runs it. */
export const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** Start flags for a hub on free ports (MQTT, HTTPS, web view), quiet but for warnings. */
export const FREE_PORTS = ['--mqtt-port', '0', '--https-port', '0', '--view', '0', '--log-level', 'warn'];

/** What `connection.json` of a running CLI hub says. */
export interface CliConnection {
  hostName: string;
  mqttPort: number;
  httpsPort: number;
  serviceConnectionString: string;
  caFile: string;
}

/**
 * The CLI as a user runs it, for the e2e suites that drive it: every process shares one temporary data
 * directory (`setUp` in beforeAll, `tearDown` in afterAll stops what is still running and removes it).
 */
export function cliHarness(prefix: string) {
  const running: ChildApp[] = [];
  let dir: string | undefined;
  const dataDir = () => {
    if (dir === undefined) throw new Error('cliHarness: call setUp() in beforeAll first');
    return dir;
  };

  /** A CLI process with exactly `args` (no `--data-dir`). */
  const spawn = (args: string[]) => {
    const app = startChildApp({ label: '[cli]', script: CLI, args, emit: () => undefined });
    running.push(app);
    return app;
  };
  /** A CLI process on the shared data directory. */
  const run = (args: string[]) => spawn([...args, '--data-dir', dataDir()]);

  return {
    get dataDir() {
      return dataDir();
    },
    spawn,
    run,
    /** Runs a command to its end: exit code and its output lines (stdout and stderr) joined. */
    async command(...args: string[]) {
      const app = run(args);
      return { code: await app.exited, out: app.lines.join('\n') };
    },
    /** Starts a hub on free ports and waits until its banner is complete. */
    async startHub() {
      const hub = run(['start', ...FREE_PORTS]);
      await hub.waitForLine(/Local IoT Hub is ready/);
      await hub.waitForLine(/^Stop:/);
      return hub;
    },
    async connection(): Promise<CliConnection> {
      return JSON.parse(await readFile(join(dataDir(), 'connection.json'), 'utf8'));
    },
    async setUp() {
      dir = await mkdtemp(join(tmpdir(), prefix));
    },
    async tearDown() {
      await Promise.all(running.map((app) => app.stop()));
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}
