import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Every ```sh block of the READMEs is either run here, line by line as written, or on COVERED_ELSEWHERE
// with the reason; a block on neither list (a new one, or a listed one whose text changed) fails.
const ROOT = join(__dirname, '..', '..', '..', '..');
/** README.md, every app's README (a new app included) and the local hub's: the brief's set. */
async function readmes(): Promise<string[]> {
  const apps = (await readdir(join(ROOT, 'apps'), { withFileTypes: true })).filter((d) => d.isDirectory());
  const files = ['README.md', ...apps.map((d) => `apps/${d.name}/README.md`), 'packages/local-hub/README.md'];
  const present = await Promise.all(
    files.map((f) =>
      stat(join(ROOT, f)).then(
        () => f,
        () => undefined,
      ),
    ),
  );
  return present.filter((f): f is string => f !== undefined);
}

/** Blocks run by this test, in this order, against one CLI hub: named by file and first line. */
const RUN = [
  { file: 'README.md', firstLine: /^pnpm local-hub +#/ }, // the sample apps, end to end
  { file: 'packages/local-hub/README.md', firstLine: /^pnpm local-hub cert ca my-root/ }, // X.509 in one minute
];

/** Blocks not run here, each word for word, and where they are run instead (or why they cannot be). */
const COVERED_ELSEWHERE: { file: string; block: string; why: string }[] = [
  {
    file: 'README.md',
    block: `npm run demo    # installs and builds, then reboots a device end to end on a local hub (first run ~1–2 min, then ~15 s)
npm test        # installs everything, then lint, typecheck and every test (unit, property, end to end)`,
    why: '`npm test` is the CI run itself; `.ci/run` runs `npm run demo` on Node 20 and 22',
  },
  {
    file: 'README.md',
    block: `node apps/device/dist/main.js --count 1000 --id-prefix sim- --ca .local-hub/ca.pem \\
  --service-connection-string "$IOTHUB_CONNECTION_STRING" --gateway-host-name 127.0.0.1:8883
node apps/service/dist/main.js --where "tags.site = 'site-1'" --ca .local-hub/ca.pem          # fan-out
node apps/service/dist/main.js --devices sim-001,sim-002 --job --ca .local-hub/ca.pem     # IoT Hub job
node apps/service/dist/main.js --where "tags.simulator = 'sim-'" --waves 1%,10%,100% --max-failures 2 \\
  --ca .local-hub/ca.pem [--dry-run]                                                        # safe rollout`,
    why: 'a 1,000-device fleet is too heavy for CI; apps/service e2e fleet.test.ts and rollout.test.ts run these flags (--count, --gateway-host-name, --where, --devices, --job, --waves, --max-failures, --dry-run) with small fleets',
  },
  {
    file: 'README.md',
    block: `az iot hub create --resource-group my-rg --name my-hub --sku S1
az iot hub device-identity create --hub-name my-hub --device-id my-device
export IOTHUB_DEVICE_CONNECTION_STRING="$(az iot hub device-identity connection-string show --hub-name my-hub --device-id my-device -o tsv)"
export IOTHUB_CONNECTION_STRING="$(az iot hub connection-string show --hub-name my-hub --policy-name service -o tsv)"
node apps/device/dist/main.js                                      # console 1
IOTHUB_DEVICE_ID=my-device node apps/service/dist/main.js          # console 2`,
    why: 'needs an Azure subscription; the same two app commands run against the local hub in the sample-apps block',
  },
  {
    file: 'apps/bench/README.md',
    block: `pnpm bench                                   # defaults: several minutes on 2 cores, plus the build
node apps/bench/dist/main.js --fleet 100,1000 --iterations 1000   # a shorter run
node apps/bench/dist/main.js --scenarios round-trip,fleet --fleet 1000   # only some scenarios
node apps/bench/dist/main.js --scenarios fleet,storm --fleet 10000   # 10,000 devices, then a hub restart under them
node apps/bench/dist/main.js --cpu-prof-dir /tmp/prof   # every process profiled; CPU split per phase in the report
node apps/bench/dist/floor/memory-floor.js --connections 2000   # memory per connection of bare aedes over TLS
cat bench/results/latest.json                # machine-readable: node, cpus, commit, settings, scenarios`,
    why: 'performance is measured by hand, never in CI (CONTRIBUTING); apps/bench has its own option tests',
  },
  {
    file: 'apps/device/README.md',
    block: `export IOTHUB_DEVICE_CONNECTION_STRING='HostName=…;DeviceId=my-device;SharedAccessKey=…'
node apps/device/dist/main.js --ca .local-hub/ca.pem --reboot-seconds 5     # drop --ca for a real hub
node apps/device/dist/main.js --mode respond-then-reboot                     # answer 202 first
node apps/device/dist/main.js --reboot-command 'sudo systemctl reboot' --state-dir /var/lib/iothub-reboot  # a real restart
node apps/device/dist/main.js --count 1000 --gateway-host-name 127.0.0.1:8883 \\
  --service-connection-string "$IOTHUB_CONNECTION_STRING" --ca .local-hub/ca.pem   # simulated fleet`,
    why: 'long-running alternatives of the device command run in the sample-apps block; apps/service e2e reboot.test.ts (--mode, --reboot-seconds), restart.test.ts (--reboot-command, --state-dir) and fleet.test.ts (--count) run the flags; a real restart needs root',
  },
  {
    file: 'apps/reliability/README.md',
    block: 'pnpm soak --devices 50 --duration 300    # flags: pnpm soak --help',
    why: 'a 5-minute soak is run by hand (README, Reliability); its jest suites run in npm test',
  },
  {
    file: 'apps/service/README.md',
    block: `export IOTHUB_CONNECTION_STRING='HostName=…;SharedAccessKeyName=service;SharedAccessKey=…'
node apps/service/dist/main.js --device-id my-device --ca .local-hub/ca.pem          # drop --ca for a real hub
node apps/service/dist/main.js --device-id my-device --json                          # one result object
node apps/service/dist/main.js --where "tags.site = 'site-1'" [--job]                # a fleet
node apps/service/dist/main.js --device-id my-device --delay 300                     # reboot in 5 minutes
node apps/service/dist/main.js --device-id my-device --module-id my-module           # a module: its method, its module twin
node apps/service/dist/main.js --where "tags.site = 'site-1'" --waves 1%,10%,100% --max-failures 5% [--dry-run]`,
    why: 'the first command runs in the sample-apps block; apps/service e2e reboot.test.ts (--json, --delay, --module-id), fleet.test.ts (--where, --job) and rollout.test.ts (--waves, --max-failures, --dry-run) run the others',
  },
];

/** Every ```sh block of a Markdown text, as written (continuation lines kept). */
export function shBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)].map((m) => (m[1] ?? '').trimEnd());
}

/** A block's commands: continuation lines joined, blank lines dropped. */
function commandsOf(block: string): string[] {
  return block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

interface Proc {
  child: ChildProcess;
  stdout: string;
  output: string;
  exited: Promise<number>;
  waitFor(pattern: RegExp): Promise<void>;
}

describe('README sh examples', () => {
  let work: string;
  const procs: Proc[] = [];
  const blocks: { file: string; block: string }[] = [];

  beforeAll(async () => {
    for (const file of await readmes()) {
      for (const block of shBlocks(await readFile(join(ROOT, file), 'utf8'))) blocks.push({ file, block });
    }
    // The commands are written for the repo root with the hub's data in .local-hub: a scratch directory
    // with apps/ and packages/ linked in runs them as written without touching the repo's own .local-hub.
    work = await mkdtemp(join(tmpdir(), 'readme-examples-'));
    await symlink(join(ROOT, 'apps'), join(work, 'apps'));
    await symlink(join(ROOT, 'packages'), join(work, 'packages'));
    await mkdir(join(work, '.local-hub'));
  });

  afterAll(async () => {
    // Each command is its own process group (sh and the program it started): stop the whole group.
    for (const p of procs)
      if (p.child.exitCode === null && p.child.pid) process.kill(-p.child.pid, 'SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await rm(work, { recursive: true, force: true });
  });

  /** Runs one README command with sh in the scratch directory. */
  const sh = (command: string): Proc => {
    const child = spawn('sh', ['-c', command], {
      cwd: work,
      detached: true,
      // Free ports instead of the documented defaults (8883, 8443, 8088), which may be taken.
      env: {
        ...process.env,
        LOCAL_HUB_MQTT_PORT: '0',
        LOCAL_HUB_HTTPS_PORT: '0',
        LOCAL_HUB_VIEW: '0',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const waiters: { pattern: RegExp; resolve: () => void }[] = [];
    const proc: Proc = {
      child,
      stdout: '',
      output: '',
      exited: new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1))),
      waitFor: (pattern) =>
        pattern.test(proc.output)
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              waiters.push({ pattern, resolve });
              void proc.exited.then((code) =>
                reject(new Error(`\`${command}\` exited ${code} before ${pattern}:\n${proc.output}`)),
              );
            }),
    };
    const onData = (isStdout: boolean) => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (isStdout) proc.stdout += text;
      proc.output += text;
      for (const w of waiters.filter((w) => w.pattern.test(proc.output))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    };
    child.stdout?.on('data', onData(true));
    child.stderr?.on('data', onData(false));
    procs.push(proc);
    return proc;
  };

  it('every sh block is run here or listed, word for word, with where it is covered', () => {
    const listed = (b: { file: string; block: string }) =>
      RUN.some((r) => r.file === b.file && r.firstLine.test(b.block)) ||
      COVERED_ELSEWHERE.some((c) => c.file === b.file && c.block === b.block);
    expect(blocks.filter((b) => !listed(b))).toEqual([]);
    // A listed block that is gone from its README is a stale entry.
    for (const c of COVERED_ELSEWHERE) expect(blocks).toContainEqual({ file: c.file, block: c.block });
    for (const r of RUN)
      expect(blocks.some((b) => b.file === r.file && r.firstLine.test(b.block))).toBe(true);
  });

  it('the sample-apps and X.509 blocks run as written against a CLI hub on free ports', async () => {
    let deviceConnectionString: string | undefined;
    for (const { file, firstLine } of RUN) {
      const block = blocks.find((b) => b.file === file && firstLine.test(b.block));
      for (const written of commandsOf(block?.block ?? '')) {
        // `pnpm local-hub` is the bin; the README's own alternative runs the same CLI without pnpm and
        // its build (the e2e CLI suite runs the pnpm form). The '…' placeholders are the strings the
        // previous commands printed.
        const service = JSON.parse(
          await readFile(join(work, '.local-hub', 'connection.json'), 'utf8').catch(() => '{}'),
        ).serviceConnectionString;
        const command = written
          .replace(/^pnpm local-hub\b/, 'node packages/local-hub/dist/cli/main.js')
          .replace(
            "IOTHUB_DEVICE_CONNECTION_STRING='…'",
            `IOTHUB_DEVICE_CONNECTION_STRING='${deviceConnectionString}'`,
          )
          .replace("IOTHUB_CONNECTION_STRING='…'", `IOTHUB_CONNECTION_STRING='${service}'`);
        const proc = sh(command);
        if (/^node packages\/local-hub\/dist\/cli\/main\.js +(#|$)/.test(command)) {
          await proc.waitFor(/^Stop:/m); // the hub, in the foreground until the end of the test
        } else if (/^\S+=\S+ node apps\/device\/dist\/main\.js/.test(command)) {
          await proc.waitFor(/Waiting for commands/); // the device app, until the end of the test
        } else {
          const code = await proc.exited;
          if (code !== 0) throw new Error(`README ${file}: \`${written}\` exited ${code}:\n${proc.output}`);
          if (/ device add /.test(command) && !/--x509/.test(command)) {
            expect(proc.stdout).toMatch(/^HostName=[^\n]+;SharedAccessKey=[^\n]+\n$/);
            deviceConnectionString = proc.stdout.trim();
          }
          if (/apps\/service\/dist\/main\.js/.test(command))
            expect(proc.stdout).toMatch(/Last reboot time: /);
        }
      }
    }
  }, 120_000);
});
