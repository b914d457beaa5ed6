import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { attachRebootHandler } from '@iothub-reboot/device-reboot-handler';
import { type BenchContext, invokeOk } from './context';
import { answerBareReport, answerNoop, createIdentities, openDevices } from './devices';
import { openHttpsFloor, openMqttFloor } from './floors';
import { timeInterleaved } from './measure';
import { floorRatio, type Summary, summarize } from './stats';

/** Scenario 1's figures. */
export interface RoundTripResult {
  floor: { mqtt: Summary; https: Summary };
  noop: Summary;
  reboot: Summary;
  /** The same wire work as `rebootDevice` done with bare SDK calls (report, then answer). */
  bareReport: Summary;
  /** SDK p50 / (MQTT floor p50 + HTTPS floor p50). */
  ratio: {
    noop: number;
    reboot: number;
    /**
     * `rebootDevice` against the floor of what it must do on the wire: HTTPS + the method's MQTT round trip
     * + the twin report's MQTT round trip (the report is confirmed before the answer).
     */
    rebootOwnFloor: number;
    /** `rebootDevice` / bare SDK report-then-respond: what the handler itself adds. */
    rebootOverBare: number;
  };
}

export const NOOP_METHOD = 'noop';
export const BARE_REPORT_METHOD = 'bareReport';

/**
 * `invokeDeviceMethod` of a zero-work method, of `rebootDevice` (0 s reboot, the real handler, report before
 * the answer) and of the same report-then-answer in bare SDK calls, against the floor of the same hub (raw
 * MQTT publish→reply, keep-alive HTTPS): one call of each per round, interleaved (see timeInterleaved).
 */
export async function methodRoundTrip(
  ctx: BenchContext,
  options: { warmup: number; iterations: number },
): Promise<RoundTripResult> {
  const [device, floorDevice] = await createIdentities(ctx.service.registry, ['bench-rt', 'bench-floor']);
  if (!device || !floorDevice) throw new Error('identities missing');
  const [client] = await openDevices(ctx.endpoint, [device]);
  if (!client) throw new Error('device missing');
  ctx.defer(() => client.close());
  let deviceError: unknown;
  answerNoop(client, NOOP_METHOD, (err) => {
    deviceError = err;
  });
  await answerBareReport(client, BARE_REPORT_METHOD, (err) => {
    deviceError = err;
  });
  const handler = attachRebootHandler(client, { reboot: async () => undefined });
  ctx.defer(() => handler.detach());

  const mqttFloor = await openMqttFloor(ctx.endpoint, floorDevice);
  ctx.defer(() => mqttFloor.close());
  const httpsFloor = openHttpsFloor({ httpsPort: ctx.hub.httpsPort, caPem: ctx.endpoint.caPem });
  ctx.defer(() => httpsFloor.close());

  // Interleaved, so the floor and the SDK calls share the machine's quiet and busy moments.
  const samples = await timeInterleaved(options.warmup, options.iterations, {
    mqtt: () => mqttFloor.roundTrip(),
    https: () => httpsFloor.roundTrip(),
    noop: () => invokeOk(ctx.service, device.deviceId, NOOP_METHOD, null),
    reboot: () => invokeOk(ctx.service, device.deviceId, REBOOT_METHOD_NAME, { delaySeconds: 0 }),
    bareReport: () => invokeOk(ctx.service, device.deviceId, BARE_REPORT_METHOD, null),
  });
  const [mqtt, https, noop, reboot, bareReport] = [
    samples.mqtt,
    samples.https,
    samples.noop,
    samples.reboot,
    samples.bareReport,
  ].map(summarize) as [Summary, Summary, Summary, Summary, Summary];
  if (deviceError !== undefined) throw deviceError;
  const floors = [mqtt.median, https.median];
  return {
    floor: { mqtt, https },
    noop,
    reboot,
    bareReport,
    ratio: {
      noop: floorRatio(noop.median, floors),
      reboot: floorRatio(reboot.median, floors),
      rebootOwnFloor: floorRatio(reboot.median, [...floors, mqtt.median]),
      rebootOverBare: reboot.median / bareReport.median,
    },
  };
}
