import { setTimeout as sleep } from 'node:timers/promises';
import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { attachRebootHandler, type ResponseMode } from '@iothub-reboot/device-reboot-handler';
import { pollTwinUntilRebooted, withCorrelationId } from '@iothub-reboot/twin-poller';
import { type BenchContext, invokeOk } from './context';
import { createIdentities, openDevices } from './devices';
import { type Summary, summarize } from './stats';

/** Figures of one response mode. */
export interface ConfirmationFigures {
  mode: ResponseMode;
  /** Twin reads per confirmation. */
  reads: Summary;
  /** Time from the twin's change (its `$metadata.$lastUpdated`) to the end of the read that saw it. */
  detectionDelayMs: Summary;
  /** Invoke → confirmed, end to end. */
  confirmMs: Summary;
}

/** Scenario 2's figures. */
export interface ConfirmationResult {
  pollIntervalMs: number;
  modes: ConfirmationFigures[];
}

/**
 * invoke → report → poller confirms (by the request's correlation id), for both response modes. In
 * `report-then-respond` the report precedes the answer (one twin update), so one read should do; in
 * `respond-then-reboot` the device also reports `rebooting` before the reboot, and the reboot takes a
 * random 0–2 intervals, so the change lands anywhere between two reads.
 */
export async function rebootConfirmation(
  ctx: BenchContext,
  options: { warmup: number; confirmations: number; pollIntervalMs: number },
): Promise<ConfirmationResult> {
  const modes: ResponseMode[] = ['report-then-respond', 'respond-then-reboot'];
  const figures: ConfirmationFigures[] = [];
  for (const mode of modes) {
    const [identity] = await createIdentities(ctx.service.registry, [`bench-confirm-${mode}`]);
    if (!identity) throw new Error('identity missing');
    const [client] = await openDevices(ctx.endpoint, [identity]);
    if (!client) throw new Error('device missing');
    ctx.defer(() => client.close());
    const maxRebootMs = mode === 'respond-then-reboot' ? 2 * options.pollIntervalMs : 0;
    const handler = attachRebootHandler(client, {
      mode,
      reboot: () => sleep(Math.random() * maxRebootMs),
    });
    ctx.defer(() => handler.detach());
    const runs: Array<{ reads: number; delayMs: number; confirmMs: number }> = [];
    for (let i = 0; i < options.warmup + options.confirmations; i++) {
      const run = await confirmOnce(ctx, identity.deviceId, mode, options.pollIntervalMs);
      if (i >= options.warmup) runs.push(run);
    }
    figures.push({
      mode,
      reads: summarize(runs.map((r) => r.reads)),
      detectionDelayMs: summarize(runs.map((r) => r.delayMs)),
      confirmMs: summarize(runs.map((r) => r.confirmMs)),
    });
  }
  return { pollIntervalMs: options.pollIntervalMs, modes: figures };
}

async function confirmOnce(ctx: BenchContext, deviceId: string, mode: ResponseMode, intervalMs: number) {
  let lastTwin: unknown;
  let lastReadEnd = 0;
  // Remembers the twin and when its read ended, to date the change the poller saw.
  const source = {
    getTwin: async (id: string) => {
      const answer = await ctx.service.registry.getTwin(id);
      lastTwin = answer.responseBody;
      lastReadEnd = Date.now();
      return answer;
    },
  };
  const requestedAt = new Date();
  const { payload, correlationId } = withCorrelationId({ delaySeconds: 0 });
  await invokeOk(
    ctx.service,
    deviceId,
    REBOOT_METHOD_NAME,
    payload,
    mode === 'report-then-respond' ? 200 : 202,
  );
  const { attempts, value } = await pollTwinUntilRebooted(source, deviceId, {
    requestedAt,
    clockSkewMs: 0,
    intervalMs,
    timeoutMs: 30_000,
    ...(correlationId ? { correlationId } : {}),
  });
  // The handler echoes the id: any other rule confirming means the run measured something else.
  if (value.confirmedBy !== 'correlation-id') {
    throw new Error(`confirmed by ${value.confirmedBy}, not by the correlation id`);
  }
  const changedAt = Date.parse(reportedLastUpdated(lastTwin));
  return {
    reads: attempts,
    delayMs: lastReadEnd - changedAt,
    confirmMs: lastReadEnd - requestedAt.getTime(),
  };
}

function reportedLastUpdated(twin: unknown): string {
  const at = (
    twin as { properties?: { reported?: { $metadata?: { rebootTime?: { $lastUpdated?: unknown } } } } }
  )?.properties?.reported?.$metadata?.rebootTime?.$lastUpdated;
  if (typeof at !== 'string') throw new Error('the twin has no $metadata.$lastUpdated for rebootTime');
  return at;
}
