import { readFile } from 'node:fs/promises';
import { type CliContext, CliError, EXIT_USAGE } from '@iothub-reboot/app-kit';
import {
  ConnectionStringError,
  createServiceClients,
  type ServiceClients,
} from '@iothub-reboot/service-connection';
import type { Logger } from 'pino';
import { type FleetFlowSettings, planFleet, rebootFleet } from './fleet-flow';
import { fleetExitCode, fleetReport, summaryTable } from './fleet-report';
import type { ServiceSettings } from './options';
import type { StatusLine } from './progress';
import { type FlowError, rebootAndConfirm } from './reboot-flow';

/** Where the app writes: results on stdout, progress (and the logger's lines) on stderr's status line. */
export interface ServiceIo {
  stdout: { write(text: string): unknown };
  status: StatusLine;
}

/**
 * The sample service: reboot one device and confirm it through its twin. Prose by default; with
 * `--json` exactly one JSON object on stdout, for success and failure alike.
 */
export async function runService(
  settings: ServiceSettings,
  context: CliContext,
  logger: Logger,
  io: ServiceIo,
): Promise<number> {
  const say = sayOn(settings, io);
  // A CA that cannot be read ends the run here; main prints its JSON failure.
  const ca = settings.caFile === undefined ? undefined : await readCa(settings.caFile);
  if (settings.target.kind !== 'device') {
    const clients = connect(settings.connectionString, ca);
    context.onShutdown(() => clients.close());
    return runFleet(clients, { ...settings, target: settings.target }, context, logger, io);
  }
  const { deviceId, moduleId } = settings.target;
  const base = { deviceId, ...(moduleId === undefined ? {} : { moduleId }), methodName: settings.methodName };
  try {
    const clients = connect(settings.connectionString, ca);
    context.onShutdown(() => clients.close());
    const confirmed = await rebootAndConfirm(
      clients,
      { ...settings, deviceId, ...(moduleId === undefined ? {} : { moduleId }) },
      {
        progress: io.status.progress,
        say,
        logger,
        signal: context.signal,
      },
    );
    const lastRebootTime = confirmed.lastRebootTime.toISOString();
    say(
      `Last reboot time: ${lastRebootTime} (confirmed by ${confirmed.confirmedBy} after ${confirmed.polls} twin read${confirmed.polls === 1 ? '' : 's'})`,
    );
    if (settings.json) {
      io.stdout.write(
        `${JSON.stringify({
          ok: true,
          outcome: 'rebooted',
          ...base,
          requestedAt: confirmed.requestedAt.toISOString(),
          method: confirmed.method,
          lastRebootTime,
          reportedAs: confirmed.source,
          confirmedBy: confirmed.confirmedBy,
          ...(confirmed.correlationId ? { correlationId: confirmed.correlationId } : {}),
          polls: confirmed.polls,
          elapsedMs: Math.round(confirmed.elapsedMs),
        })}\n`,
      );
    }
    return 0;
  } catch (err) {
    if (!settings.json || !(err instanceof CliError)) throw err;
    // One machine-readable object instead of the one-line message; the exit code is the same.
    const method = (err as FlowError).method;
    io.stdout.write(
      `${JSON.stringify({ ok: false, outcome: err.code, ...base, ...(method ? { method } : {}), error: err.message, exitCode: err.exitCode })}\n`,
    );
    return err.exitCode;
  }
}

/** A fleet: progress while it runs, then the summary table (or one JSON object); exit 0, 10 or 11. */
async function runFleet(
  clients: ServiceClients,
  settings: ServiceSettings & FleetFlowSettings,
  context: CliContext,
  logger: Logger,
  io: ServiceIo,
): Promise<number> {
  const say = sayOn(settings, io);
  try {
    if (settings.dryRun) {
      const waves = await planFleet(clients, settings, {
        progress: io.status.progress,
        say,
        logger,
        signal: context.signal,
      });
      io.stdout.write(settings.json ? `${JSON.stringify(dryRunReport(waves))}\n` : `${dryRunText(waves)}\n`);
      return 0;
    }
    const flow = rebootFleet(clients, settings, {
      progress: io.status.progress,
      say,
      logger,
      signal: context.signal,
    });
    // On Ctrl-C the flow cancels a running job: let it finish before the clients close.
    context.onShutdown(() =>
      flow.then(
        () => undefined,
        () => undefined,
      ),
    );
    const { requestedAt, jobId, correlationId, outcomes, waves, stopped } = await flow;
    const report = fleetReport(outcomes, {
      strategy: settings.strategy,
      requestedAt,
      ...(jobId ? { jobId } : {}),
      ...(correlationId ? { correlationId } : {}),
      ...(waves ? { waves } : {}),
      ...(stopped ? { stopped } : {}),
    });
    io.stdout.write(settings.json ? `${JSON.stringify(report)}\n` : `${summaryTable(report)}\n`);
    return fleetExitCode(report);
  } catch (err) {
    if (!settings.json || !(err instanceof CliError)) throw err;
    io.stdout.write(
      `${JSON.stringify({ ok: false, outcome: err.code, error: err.message, exitCode: err.exitCode })}\n`,
    );
    return err.exitCode;
  }
}

/** Prose on stdout (none with --json), printed above the progress line when both share a terminal. */
function sayOn(settings: ServiceSettings, io: ServiceIo): (line: string) => void {
  if (settings.json) return () => undefined;
  return (line) => io.status.print(() => io.stdout.write(`${line}\n`));
}

/** `--dry-run --json`: the waves and their devices. */
function dryRunReport(waves: string[][]) {
  return {
    ok: true,
    outcome: 'dry-run',
    total: waves.reduce((n, w) => n + w.length, 0),
    waves: waves.map((devices, i) => ({ wave: i + 1, devices })),
  };
}

/** `--dry-run`: one line per wave, then its devices. */
function dryRunText(waves: string[][]): string {
  const total = waves.reduce((n, w) => n + w.length, 0);
  const lines = [`Dry run: ${total} device(s) in ${waves.length} wave(s); nothing was sent`];
  for (const [i, devices] of waves.entries()) {
    lines.push(`Wave ${i + 1}: ${devices.length} device(s): ${devices.join(', ')}`);
  }
  return lines.join('\n');
}

function connect(connectionString: string, ca: string | undefined) {
  try {
    return createServiceClients(connectionString, ca === undefined ? {} : { ca });
  } catch (err) {
    if (err instanceof ConnectionStringError) {
      throw new CliError(`the service connection string is malformed: ${err.message}`, {
        exitCode: EXIT_USAGE,
        code: 'usage',
        cause: err,
      });
    }
    throw err;
  }
}

async function readCa(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read the CA file ${file}: ${err.code ?? err.message}`, {
      exitCode: EXIT_USAGE,
      code: 'usage',
    });
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CliError(`the CA file ${file} holds no PEM certificate`, {
      exitCode: EXIT_USAGE,
      code: 'usage',
    });
  }
  return pem;
}
