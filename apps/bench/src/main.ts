#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runCli } from '@iothub-reboot/app-kit';
import { createServiceClients, parseServiceConnectionString } from '@iothub-reboot/service-connection';
import { cpuProfArgs, startBenchHub } from './bench-hub';
import { writeCharts } from './charts/write';
import { rebootConfirmation } from './confirmation';
import type { BenchContext } from './context';
import { fleet } from './fleet';
import { parseBenchOptions, type ScenarioName, USAGE } from './options';
import { PhaseRecorder, profileThisProcess, summarizeProfiles } from './profile/files';
import { type BenchReport, formatReport } from './report';
import { methodRoundTrip } from './round-trip';
import { storm } from './storm';
import { throughput } from './throughput';

const REPO = resolve(__dirname, '../../..');

void runCli('bench', async () => {
  const settings = parseBenchOptions(process.argv.slice(2), resolve(REPO, 'bench/results/latest.json'));
  if (settings === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date();
  const { cpuProfDir } = settings;
  if (cpuProfDir !== undefined) await mkdir(cpuProfDir, { recursive: true });
  const selfProfile = cpuProfDir === undefined ? undefined : await profileThisProcess(cpuProfDir);
  const phases = new PhaseRecorder();
  const roles = new Map<number, string>([[process.pid, 'service side (bench process)']]);
  const processRole = (pid: number | undefined, role: string) => {
    if (pid !== undefined) roles.set(pid, role);
  };
  const hub = await startBenchHub(
    settings.cpuProfDir === undefined ? {} : { cpuProfDir: settings.cpuProfDir },
  );
  processRole(hub.pids[0], 'hub');
  const service = createServiceClients(hub.serviceConnectionString, { ca: hub.caPem });
  let closed = false;
  const closeAll = async () => {
    if (closed) return;
    closed = true;
    await service.close();
    await hub.close();
  };
  const endpoint = {
    hostName: parseServiceConnectionString(hub.serviceConnectionString).hostName,
    mqttPort: hub.mqttPort,
    caPem: hub.caPem,
  };
  // Each scenario closes what it opened before the next starts, so none measures another's leftovers.
  const scenario = async <T>(name: string, run: (ctx: BenchContext) => Promise<T>): Promise<T> => {
    say(`bench: ${name}…`);
    const cleanups: Array<() => Promise<unknown>> = [];
    const result = await run({
      hub,
      endpoint,
      service,
      defer: (c) => void cleanups.push(c),
      phase: (phase, body) => phases.run(phase, body),
      processRole,
    }).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    let cleanupError: unknown;
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => {
        say(`bench: cleanup after ${name} failed: ${(err as Error).message}`);
        cleanupError ??= err;
      });
    }
    // The scenario's own failure says more than what closing afterwards ran into.
    if (!result.ok) throw result.error;
    if (cleanupError !== undefined) throw cleanupError;
    return result.value;
  };
  try {
    const runs = (name: ScenarioName) => settings.scenarios.includes(name);
    const scenarios: BenchReport['scenarios'] = {};
    if (runs('round-trip')) {
      scenarios.methodRoundTrip = await scenario('method round trip', (ctx) =>
        methodRoundTrip(ctx, { ...settings, cpuProfArgs: cpuProfArgs(settings.cpuProfDir) }),
      );
    }
    if (runs('confirmation')) {
      scenarios.rebootConfirmation = await scenario('reboot confirmation', (ctx) =>
        rebootConfirmation(ctx, settings),
      );
    }
    if (runs('fleet')) {
      scenarios.fleet = [];
      const series = settings.fleetSizes.map((devices) => ({ devices, store: settings.fleetStore }));
      if (settings.fileStoreFleet > 0 && settings.fleetStore !== 'file') {
        series.push({ devices: settings.fileStoreFleet, store: 'file' });
      }
      for (const { devices, store } of series) {
        scenarios.fleet.push(
          await scenario(`fleet of ${devices} (${store} store)`, (ctx) =>
            fleet(ctx, {
              devices,
              store,
              processes: settings.fleetProcesses,
              concurrency: settings.fleetConcurrency,
              pollIntervalMs: settings.pollIntervalMs,
              ...(settings.cpuProfDir === undefined ? {} : { cpuProfDir: settings.cpuProfDir }),
            }),
          ),
        );
      }
    }
    if (runs('storm')) {
      scenarios.storm = await scenario(`reconnect storm of ${settings.stormDevices}`, (ctx) =>
        storm(ctx, {
          devices: settings.stormDevices,
          processes: settings.fleetProcesses,
          concurrency: settings.fleetConcurrency,
          ...(settings.cpuProfDir === undefined ? {} : { cpuProfDir: settings.cpuProfDir }),
        }),
      );
    }
    if (runs('throughput')) {
      scenarios.throughput = await scenario('throughput', (ctx) =>
        throughput(ctx, {
          devices: settings.throughputDevices,
          inFlight: settings.inFlight,
          warmupMs: 2000,
          durationMs: settings.throughputSeconds * 1000,
          processes: settings.fleetProcesses,
          ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
        }),
      );
    }
    // Every profiled process writes its profile as it exits: close them all before reading.
    await closeAll();
    await selfProfile?.stop();
    const profiles =
      cpuProfDir === undefined ? undefined : await summarizeProfiles(cpuProfDir, roles, phases.windows);
    if (cpuProfDir !== undefined) {
      // Next to the profiles: which pid is which process and when each phase ran on their clock, so a
      // flame-graph tool can be pointed at one process's one phase.
      const pids = Object.fromEntries(roles);
      await writeFile(
        join(cpuProfDir, 'phases.json'),
        `${JSON.stringify({ pids, phases: phases.windows }, null, 2)}\n`,
      );
    }
    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      commit: gitCommit(),
      settings: { ...settings },
      scenarios,
      ...(profiles === undefined ? {} : { profiles }),
    };
    process.stdout.write(formatReport(report));
    await mkdir(dirname(settings.out), { recursive: true });
    await writeFile(settings.out, `${JSON.stringify(report, null, 2)}\n`);
    say(`bench: wrote ${settings.out}`);
    for (const file of await writeCharts(report, dirname(settings.out))) say(`bench: wrote ${file}`);
    return 0;
  } finally {
    await closeAll();
  }
});

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
