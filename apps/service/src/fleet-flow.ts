import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, mapSettledWithLimit } from '@iothub-reboot/app-kit';
import {
  type ConfirmationRule,
  type FleetProgress,
  PollTimeoutError,
  pollQueryUntil,
  quoteDeviceId,
  type RebootConfirmation,
  readAllPages,
  rebootConfirmed,
  type TwinQuerySource,
  withCorrelationId,
} from '@iothub-reboot/twin-poller';
import type { Logger } from 'pino';
import { type MethodParams, methodParams, pollBounds, totalPolls } from './bounds';
import { EXIT } from './exit-codes';
import type { DeviceOutcome } from './fleet-report';
import { invokeFailure, pollFailure } from './outcome';
import type { Progress } from './progress';
import type { MethodInvoker, RebootFlowSettings } from './reboot-flow';
import { describeLimit, exceedsLimit, type FailureLimit, planWaves, type WaveBound } from './rollout';

/** What the fleet flow needs from `azure-iothub`'s JobClient. */
export interface JobScheduler {
  scheduleDeviceMethod(
    jobId: string,
    queryCondition: string,
    params: MethodParams,
    jobStartTime: Date,
  ): Promise<{ jobStatus: unknown }>;
  getJob(jobId: string): Promise<{ jobStatus: unknown }>;
  cancelJob(jobId: string): Promise<{ jobStatus: unknown }>;
}

/** Fleet settings: the single-device ones plus the target set and strategy. */
export interface FleetFlowSettings extends Omit<RebootFlowSettings, 'deviceId'> {
  target: { kind: 'devices'; deviceIds: string[] } | { kind: 'where'; condition: string };
  strategy: 'fan-out' | 'job';
  concurrency: number;
  /** Cumulative wave bounds; none: one wave. */
  waves?: WaveBound[];
  /** A wave with more failures stops the rollout. */
  maxFailures?: FailureLimit;
}

interface Clients {
  client: MethodInvoker;
  registry: TwinQuerySource;
  jobClient: JobScheduler;
  hostName: string;
}

interface Hooks {
  progress: Progress;
  say: (line: string) => void;
  logger: Logger;
  signal: AbortSignal;
}

const QUERY_PAGE = 1000;
const TERMINAL_JOB_STATES = new Set(['completed', 'failed', 'cancelled']);

/** One wave of a rollout, as the report shows it. */
export interface WaveSummary {
  wave: number;
  devices: number;
  /** `done`: asked and confirmed; `skipped`: not started, the rollout stopped before it. */
  status: 'done' | 'skipped';
  rebooted: number;
  failed: number;
  correlationId?: string;
  jobId?: string;
  requestedAt?: string;
}

/** What a fleet run did. */
export interface FleetRun {
  requestedAt: Date;
  jobId?: string;
  correlationId?: string;
  outcomes: DeviceOutcome[];
  /** Present when the run had more than one wave. */
  waves?: WaveSummary[];
  /** Set when a wave crossed `--max-failures`: the waves after it were not started. */
  stopped?: { afterWave: number; failures: number; devices: number; limit: string };
}

/**
 * Reboots a fleet: resolves the target set, cuts it into waves (`--waves`; one wave by default), and per
 * wave asks every device to reboot (from here with bounded concurrency, or through one IoT Hub job) and
 * confirms through the twin query (one query per page per round, never one twin read per device) before
 * the next wave starts. A wave with more failures than `--max-failures` stops the rollout: later waves are
 * never touched. Resolves with every device's outcome and wave.
 */
export async function rebootFleet(
  clients: Clients,
  settings: FleetFlowSettings,
  hooks: Hooks,
): Promise<FleetRun> {
  const deviceIds = await resolveTargets(clients, settings, hooks);
  if (deviceIds.length === 0) {
    throw new CliError('no device matches the target', {
      exitCode: EXIT.deviceNotFound,
      code: 'device-not-found',
    });
  }
  const plan = planWaves(deviceIds, settings.waves);
  const outcomes: DeviceOutcome[] = [];
  const waves: WaveSummary[] = [];
  let stopped: FleetRun['stopped'];
  let first: { requestedAt: Date; jobId?: string; correlationId?: string } | undefined;
  for (const [index, ids] of plan.entries()) {
    const wave = index + 1;
    if (stopped !== undefined || hooks.signal.aborted) {
      outcomes.push(
        ...ids.map(
          (deviceId): DeviceOutcome => ({
            deviceId,
            outcome: 'skipped',
            wave,
            error: hooks.signal.aborted
              ? 'not started: the run was stopped'
              : `not started: the rollout stopped after wave ${stopped?.afterWave}`,
          }),
        ),
      );
      waves.push({ wave, devices: ids.length, status: 'skipped', rebooted: 0, failed: 0 });
      continue;
    }
    if (plan.length > 1) hooks.say(`Wave ${wave}/${plan.length}: ${ids.length} device(s)`);
    const run = await rebootWave(
      clients,
      settings,
      ids,
      hooks,
      plan.length > 1 ? `wave ${wave}/${plan.length}: ` : '',
      plan.length === 1,
    );
    first ??= run;
    const failed = run.outcomes.filter((o) => o.outcome !== 'rebooted').length;
    outcomes.push(...run.outcomes.map((o) => (plan.length > 1 ? { ...o, wave } : o)));
    waves.push({
      wave,
      devices: ids.length,
      status: 'done',
      rebooted: ids.length - failed,
      failed,
      requestedAt: run.requestedAt.toISOString(),
      ...(run.correlationId ? { correlationId: run.correlationId } : {}),
      ...(run.jobId ? { jobId: run.jobId } : {}),
    });
    if (plan.length > 1)
      hooks.say(`Wave ${wave}/${plan.length}: ${ids.length - failed} rebooted, ${failed} failed`);
    if (exceedsLimit(failed, ids.length, settings.maxFailures) && index < plan.length - 1) {
      const limit = describeLimit(settings.maxFailures as FailureLimit);
      stopped = { afterWave: wave, failures: failed, devices: ids.length, limit };
      hooks.say(
        `Stopping the rollout: wave ${wave} had ${failed} failure(s), more than --max-failures ${limit}`,
      );
    }
  }
  const head = first as { requestedAt: Date; jobId?: string; correlationId?: string };
  return {
    requestedAt: head.requestedAt,
    ...(plan.length === 1 && head.jobId ? { jobId: head.jobId } : {}),
    ...(plan.length === 1 && head.correlationId ? { correlationId: head.correlationId } : {}),
    outcomes,
    ...(plan.length > 1 ? { waves } : {}),
    ...(stopped ? { stopped } : {}),
  };
}

/** The waves `--dry-run` prints: the target resolved and cut, nothing invoked. */
export async function planFleet(
  clients: Clients,
  settings: FleetFlowSettings,
  hooks: Hooks,
): Promise<string[][]> {
  const deviceIds = await resolveTargets(clients, settings, hooks);
  if (deviceIds.length === 0) {
    throw new CliError('no device matches the target', {
      exitCode: EXIT.deviceNotFound,
      code: 'device-not-found',
    });
  }
  return planWaves(deviceIds, settings.waves);
}

/**
 * One wave: invoke, then confirm. A fresh correlation id per wave (a job sends one payload to all its
 * devices; each echoes it in its twin). `whole` says the wave is the whole target, so a job may use the
 * `--where` condition itself instead of listing the ids.
 */
async function rebootWave(
  clients: Clients,
  base: FleetFlowSettings,
  deviceIds: string[],
  hooks: Hooks,
  label: string,
  whole: boolean,
): Promise<{ requestedAt: Date; jobId?: string; correlationId?: string; outcomes: DeviceOutcome[] }> {
  const requestedAt = new Date();
  const { payload, correlationId } = withCorrelationId(base.payload);
  const settings = { ...base, payload };
  const progress: Progress = {
    update: (line) => hooks.progress.update(`${label}${line}`),
    done: () => hooks.progress.done(),
  };
  const waveHooks = { ...hooks, progress };
  hooks.say(
    `Rebooting ${deviceIds.length} device(s) with ${settings.strategy === 'job' ? 'an IoT Hub job' : `up to ${settings.concurrency} calls in flight`}`,
  );
  const condition =
    whole && settings.target.kind === 'where'
      ? settings.target.condition
      : `deviceId IN [${deviceIds.map(quoteDeviceId).join(', ')}]`;
  const invoked =
    settings.strategy === 'job'
      ? await invokeByJob(clients, settings, deviceIds, condition, waveHooks)
      : { jobId: undefined, outcomes: await invokeEach(clients, settings, deviceIds, waveHooks) };

  const answered = invoked.outcomes.filter((o) => o.outcome === 'rebooted').map((o) => o.deviceId);
  const confirmed: Map<string, Seen> =
    answered.length === 0
      ? new Map()
      : await confirm(clients, settings, answered, { requestedAt, correlationId }, waveHooks);
  const outcomes = invoked.outcomes.map((o): DeviceOutcome => {
    if (o.outcome !== 'rebooted') return o;
    const seen = confirmed.get(o.deviceId);
    if (seen?.failed !== undefined) return { ...o, outcome: 'reboot-failed', error: seen.failed };
    return seen?.rebootTime
      ? {
          ...o,
          lastRebootTime: seen.rebootTime,
          ...(seen.confirmedBy ? { confirmedBy: seen.confirmedBy } : {}),
        }
      : { ...o, outcome: 'not-reported', error: seen?.reason ?? 'no reboot reported within the bound' };
  });
  return {
    requestedAt,
    ...(invoked.jobId ? { jobId: invoked.jobId } : {}),
    ...(correlationId ? { correlationId } : {}),
    outcomes,
  };
}

/** The device ids of the target: the given list, or what the condition selects now (paged). */
async function resolveTargets(
  clients: Clients,
  settings: FleetFlowSettings,
  hooks: Hooks,
): Promise<string[]> {
  if (settings.target.kind === 'devices') {
    settings.target.deviceIds.forEach(quoteDeviceId); // validates before anything is sent
    return settings.target.deviceIds;
  }
  try {
    const rows = await readAllPages(
      clients.registry,
      `SELECT deviceId FROM devices WHERE ${settings.target.condition}`,
      QUERY_PAGE,
      10_000,
      hooks.signal,
    );
    return rows.map((row) => String((row as { deviceId?: unknown }).deviceId)).sort();
  } catch (err) {
    throw pollFailure(err, `(where ${settings.target.condition})`, clients.hostName);
  }
}

/** Fan-out: one method call per device from here, at most `concurrency` at once. */
async function invokeEach(
  clients: Clients,
  settings: FleetFlowSettings,
  deviceIds: string[],
  hooks: Hooks,
): Promise<DeviceOutcome[]> {
  let answered = 0;
  let failed = 0;
  const results = await mapSettledWithLimit(
    deviceIds,
    settings.concurrency,
    async (deviceId): Promise<DeviceOutcome> => {
      try {
        if (hooks.signal.aborted) throw hooks.signal.reason;
        const { result } = await clients.client.invokeDeviceMethod(deviceId, methodParams(settings));
        const status = (result as { status?: unknown } | undefined)?.status;
        if (typeof status !== 'number' || status < 200 || status >= 300) {
          failed++;
          return {
            deviceId,
            outcome: 'device-error',
            ...(typeof status === 'number' ? { status } : {}),
            error: `answered ${String(status)}`,
          };
        }
        answered++;
        return { deviceId, outcome: 'rebooted', status };
      } catch (err) {
        failed++;
        const failure = invokeFailure(err, deviceId, clients.hostName);
        if (isFleetFatal(failure)) throw failure;
        return { deviceId, outcome: failure.code as DeviceOutcome['outcome'], error: failure.message };
      } finally {
        hooks.progress.update(
          `invoking: ${answered} answered, ${failed} failed, ${deviceIds.length - answered - failed} waiting, of ${deviceIds.length}`,
        );
      }
    },
  );
  hooks.progress.done();
  const fatal = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (fatal) throw fatal.reason;
  return results.map((r) => (r as PromiseFulfilledResult<DeviceOutcome>).value);
}

/** Unauthorized or unreachable hubs end the whole run: no device can succeed. */
function isFleetFatal(failure: CliError): boolean {
  return failure.code === 'unauthorized' || failure.code === 'hub-unreachable';
}

/** Job mode: schedule `scheduleDeviceMethod` over the target, follow it to its end, read per-device results. */
async function invokeByJob(
  clients: Clients,
  settings: FleetFlowSettings,
  deviceIds: string[],
  condition: string,
  hooks: Hooks,
): Promise<{ jobId: string; outcomes: DeviceOutcome[] }> {
  const jobId = `reboot-${randomUUID()}`;
  try {
    await clients.jobClient.scheduleDeviceMethod(jobId, condition, methodParams(settings), new Date());
  } catch (err) {
    throw invokeFailure(err, `(job ${jobId})`, clients.hostName);
  }
  hooks.say(`Scheduled job ${jobId}`);
  let finalStatus: string;
  try {
    finalStatus = await followJob(clients, settings, jobId, deviceIds.length, hooks);
  } catch (err) {
    if (hooks.signal.aborted) {
      // Ctrl-C while the job runs: cancel it so no more devices reboot on our behalf.
      await clients.jobClient.cancelJob(jobId).then(
        () => hooks.logger.warn({ jobId }, 'cancelled the job'),
        (cancelErr: unknown) => hooks.logger.error({ err: cancelErr, jobId }, 'could not cancel the job'),
      );
    }
    throw err;
  } finally {
    hooks.progress.done();
  }
  return { jobId, outcomes: await jobDeviceOutcomes(clients, jobId, deviceIds, finalStatus, hooks) };
}

/** Follows a job until it is completed, failed or cancelled, showing its device counts. */
async function followJob(
  clients: Clients,
  settings: FleetFlowSettings,
  jobId: string,
  targeted: number,
  hooks: Hooks,
) {
  // The hub bounds each device call; this bounds a job that never ends.
  const perDeviceMs = (settings.connectTimeoutSeconds + settings.responseTimeoutSeconds) * 1000;
  const deadline = Date.now() + perDeviceMs * Math.ceil(targeted / 8) + 60_000;
  for (;;) {
    const { jobStatus } = await clients.jobClient.getJob(jobId).catch((err: unknown) => {
      throw invokeFailure(err, `(job ${jobId})`, clients.hostName);
    });
    const job = jobStatus as { status?: string; deviceJobStatistics?: Record<string, number> };
    const stats = job.deviceJobStatistics ?? {};
    const waiting = (stats.runningCount ?? 0) + (stats.pendingCount ?? 0);
    hooks.progress.update(
      `job ${job.status ?? '?'}: ${stats.succeededCount ?? 0} succeeded, ${stats.failedCount ?? 0} failed, ${waiting} waiting, of ${stats.deviceCount ?? targeted}`,
    );
    if (job.status && TERMINAL_JOB_STATES.has(job.status)) return job.status;
    if (Date.now() > deadline) {
      throw new CliError(`job ${jobId} did not finish in time (last status ${job.status ?? 'unknown'})`, {
        exitCode: EXIT.methodTimedOut,
        code: 'method-timed-out',
      });
    }
    await sleep(settings.pollIntervalMs, undefined, { signal: hooks.signal });
  }
}

interface DeviceJobRow {
  deviceId?: string;
  status?: string;
  outcome?: { deviceMethodResponse?: { status?: number; payload?: unknown } };
  error?: { code?: string; description?: string };
}

/** Per-device results of a job, from `devices.jobs`; a targeted device the job has no row for failed. */
async function jobDeviceOutcomes(
  clients: Clients,
  jobId: string,
  deviceIds: string[],
  jobStatus: string,
  hooks: Hooks,
): Promise<DeviceOutcome[]> {
  const rows = (await readAllPages(
    clients.registry,
    `SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '${jobId}'`,
    QUERY_PAGE,
    10_000,
    hooks.signal,
  ).catch((err: unknown) => {
    throw pollFailure(err, `(job ${jobId})`, clients.hostName);
  })) as DeviceJobRow[];
  const byDevice = new Map(rows.map((row) => [String(row.deviceId), row]));
  // A job simply skips a device that is not registered (its condition matches no twin), where a fan-out
  // call gets 404 DeviceNotFound: look the row-less ones up, so both modes name the same outcome.
  const rowless = deviceIds.filter((id) => !byDevice.has(id));
  const registered =
    jobStatus === 'cancelled' || rowless.length === 0
      ? new Set(rowless)
      : await registeredAmong(clients, rowless, hooks.signal);
  return deviceIds.map((deviceId): DeviceOutcome => {
    const row = byDevice.get(deviceId);
    if (!row) {
      if (!registered.has(deviceId)) {
        return {
          deviceId,
          outcome: 'device-not-found',
          error: `device ${deviceId} is not registered in ${clients.hostName}`,
        };
      }
      const why =
        jobStatus === 'cancelled'
          ? 'the job was cancelled before this device ran'
          : 'the job has no result for this device';
      return { deviceId, outcome: 'unexpected', error: why };
    }
    const status = row.outcome?.deviceMethodResponse?.status;
    if (row.status === 'completed' && typeof status === 'number' && status >= 200 && status < 300) {
      return { deviceId, outcome: 'rebooted', status };
    }
    if (typeof status === 'number')
      return { deviceId, outcome: 'device-error', status, error: `answered ${status}` };
    const code = row.error?.code ?? '';
    const description = row.error?.description ?? `job status ${row.status ?? 'unknown'}`;
    const outcome: DeviceOutcome['outcome'] = /NotOnline/i.test(code)
      ? 'device-offline'
      : /Timeout/i.test(code)
        ? 'method-timed-out'
        : /NotFound/i.test(code)
          ? 'device-not-found'
          : 'unexpected';
    return { deviceId, outcome, error: description };
  });
}

/** Which of `deviceIds` have an identity (a twin), by one registry query per page of ids. */
async function registeredAmong(
  clients: Clients,
  deviceIds: string[],
  signal: AbortSignal,
): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < deviceIds.length; i += QUERY_PAGE) {
    const ids = deviceIds.slice(i, i + QUERY_PAGE);
    const rows = (await readAllPages(
      clients.registry,
      `SELECT deviceId FROM devices WHERE deviceId IN [${ids.map(quoteDeviceId).join(', ')}]`,
      QUERY_PAGE,
      2,
      signal,
    )) as { deviceId?: unknown }[];
    for (const row of rows) found.add(String(row.deviceId));
  }
  return found;
}

/** What the twin query said about one device. */
interface Seen {
  rebootTime?: string;
  confirmedBy?: ConfirmationRule;
  /** The device reported this request failed, with this reason. */
  failed?: string;
  /** Why it is not confirmed yet. */
  reason?: string;
}

/**
 * Confirms through paged twin queries (by correlation id, then the clock rules); a device that reports
 * `failed` is done at once. Devices not confirmed within the bound carry the reason.
 */
async function confirm(
  clients: Clients,
  settings: FleetFlowSettings,
  deviceIds: string[],
  request: { requestedAt: Date; correlationId: string | undefined },
  hooks: Hooks,
): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  const record = (progress: FleetProgress<RebootConfirmation>) => {
    for (const { deviceId, value } of progress.done) {
      seen.set(
        deviceId,
        value.outcome === 'failed'
          ? { failed: value.reason }
          : { rebootTime: value.rebootTime.toISOString(), confirmedBy: value.confirmedBy },
      );
    }
    for (const p of progress.pending) seen.set(p.deviceId, { reason: p.reason });
  };
  try {
    const result = await pollQueryUntil({
      registry: clients.registry,
      deviceIds,
      predicate: rebootConfirmed({
        requestedAt: request.requestedAt,
        clockSkewMs: settings.clockSkewMs,
        ...(request.correlationId ? { correlationId: request.correlationId } : {}),
        fallback: settings.confirmBy === 'auto' ? ['hub-clock', 'device-clock'] : [settings.confirmBy],
      }),
      ...pollBounds<FleetProgress<RebootConfirmation>>(settings, hooks),
      onAttempt: (report) => {
        if (report.outcome === 'transient-error')
          return hooks.progress.update(`confirming: hub error, retrying`);
        record(report.observation);
        const failed = report.observation.done.filter((d) => d.value.outcome === 'failed').length;
        hooks.progress.update(
          `confirming (query ${report.attempt}/${totalPolls(settings)}): ${report.observation.done.length - failed} rebooted, ${failed} failed, ${report.observation.pending.length} waiting, of ${deviceIds.length}`,
        );
      },
    });
    record(result.value);
  } catch (err) {
    if (!(err instanceof PollTimeoutError))
      throw pollFailure(err, `${deviceIds.length} devices`, clients.hostName);
    if (err.lastObservation) record(err.lastObservation as FleetProgress<RebootConfirmation>);
  } finally {
    hooks.progress.done();
  }
  return seen;
}
