import { REBOOT_METHOD_NAME } from '@iothub-reboot/contracts';
import { attachRebootHandler } from '@iothub-reboot/device-reboot-handler';
import { type BenchContext, invokeOk } from './context';
import { answerBareReport, answerNoop, createIdentities, openDevices } from './devices';
import { openBrokerFloor, openEchoFloor, openHandshakeFloor, serverKeyType } from './floor/floor-clients';
import { startFloorProcess } from './floor/floor-process';
import type { FloorKeyType } from './floor/floor-servers';
import { openHttpsFloor, openMqttFloor } from './floors';
import { timeInterleaved } from './measure';
import { floorRatio, type Summary, summarize } from './stats';

/**
 * The independent floor: servers with no hub logic in a process of their own, on the same kind of
 * certificate as the hub's, so the hub's round trips can be split into TLS + machine, MQTT brokering and
 * the hub's own work.
 */
export interface IndependentFloor {
  keyType: FloorKeyType;
  /** Bare TLS echo of 128 bytes on one connection. */
  tlsEcho: Summary;
  /** aedes with no hub logic: QoS 0 publish → per-client reply (the shape of the hub's twin GET). */
  broker: Summary;
  /** Bare Node HTTPS server, keep-alive GET. */
  https: Summary;
  /** A full TLS handshake (new connection, nothing resumed) to the bare TLS server. */
  handshake: Summary;
  /** A handshake offering the previous session's ticket. */
  resumedHandshake: Summary;
  /** How many of the resumed series' handshakes (warm-up included) the server did resume, out of `handshakes`. */
  resumedCount: number;
  handshakes: number;
}

/** Handshakes to the hub's MQTT listener, the same two ways. */
export interface HubHandshakes {
  full: Summary;
  resumed: Summary;
  resumedCount: number;
  handshakes: number;
}

/** Scenario 1's figures. */
export interface RoundTripResult {
  /** Every measured sample of every series, ms rounded to 0.01 (for the latency chart). */
  samplesMs: Record<string, number[]>;
  floor: { mqtt: Summary; https: Summary };
  independent: IndependentFloor;
  hubHandshake: HubHandshakes;
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
    /** Hub MQTT floor (twin GET) / broker floor: the hub's own work on the device leg. */
    hubMqttOverBroker: number;
    /** Broker floor / TLS echo: what MQTT brokering adds to TLS. */
    brokerOverEcho: number;
    /** Hub `GET /health` / bare HTTPS: the hub's HTTP stack over Node's. */
    hubHttpsOverBare: number;
    /** Zero-work method / (bare HTTPS + broker floor): a whole method round trip over the independent floor. */
    noopOverIndependent: number;
    /** The same for `rebootDevice`, whose floor has a second broker round trip (its twin report). */
    rebootOverIndependent: number;
    /** Share of the zero-work method's p50 that is neither TLS, the machine nor brokering: the hub's own. */
    hubShareOfNoop: number;
    /** Hub full handshake / bare TLS full handshake. */
    hubHandshakeOverBare: number;
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
  options: { warmup: number; iterations: number; cpuProfArgs: string[] },
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

  const keyType = await serverKeyType({ port: ctx.endpoint.mqttPort, caPem: ctx.endpoint.caPem });
  const floorProcess = await startFloorProcess(keyType, options.cpuProfArgs);
  ctx.defer(() => floorProcess.stop());
  ctx.processRole(floorProcess.pid, 'floor');
  const floorCa = floorProcess.caPem;
  const echo = await openEchoFloor({ port: floorProcess.echoPort, caPem: floorCa });
  ctx.defer(() => echo.close());
  const broker = await openBrokerFloor({ port: floorProcess.brokerPort, caPem: floorCa });
  ctx.defer(() => broker.close());
  const bareHttps = openHttpsFloor({ httpsPort: floorProcess.httpsPort, caPem: floorCa });
  ctx.defer(() => bareHttps.close());
  const floorTls = { port: floorProcess.echoPort, caPem: floorCa };
  const hubTls = { port: ctx.endpoint.mqttPort, caPem: ctx.endpoint.caPem };
  const handshake = openHandshakeFloor(floorTls, { resume: false });
  const resumedHandshake = openHandshakeFloor(floorTls, { resume: true });
  const hubHandshake = openHandshakeFloor(hubTls, { resume: false });
  const hubResumedHandshake = openHandshakeFloor(hubTls, { resume: true });

  // Interleaved, so the floor and the SDK calls share the machine's quiet and busy moments.
  const samples = await timeInterleaved(options.warmup, options.iterations, {
    mqtt: () => mqttFloor.roundTrip(),
    https: () => httpsFloor.roundTrip(),
    noop: () => invokeOk(ctx.service, device.deviceId, NOOP_METHOD, null),
    reboot: () => invokeOk(ctx.service, device.deviceId, REBOOT_METHOD_NAME, { delaySeconds: 0 }),
    bareReport: () => invokeOk(ctx.service, device.deviceId, BARE_REPORT_METHOD, { delaySeconds: 0 }),
    tlsEcho: () => echo.roundTrip(),
    broker: () => broker.roundTrip(),
    bareHttps: () => bareHttps.roundTrip(),
    handshake: () => handshake.roundTrip(),
    resumedHandshake: () => resumedHandshake.roundTrip(),
    hubHandshake: () => hubHandshake.roundTrip(),
    hubResumedHandshake: () => hubResumedHandshake.roundTrip(),
  });
  if (deviceError !== undefined) throw deviceError;
  const s = Object.fromEntries(
    Object.entries(samples).map(([name, times]) => [name, summarize(times as number[])]),
  ) as Record<keyof typeof samples, Summary>;
  const floors = [s.mqtt.median, s.https.median];
  const independent = [s.bareHttps.median, s.broker.median];
  return {
    samplesMs: Object.fromEntries(
      Object.entries(samples).map(([name, times]) => [
        name,
        (times as number[]).map((t) => Math.round(t * 100) / 100),
      ]),
    ),
    floor: { mqtt: s.mqtt, https: s.https },
    independent: {
      keyType,
      tlsEcho: s.tlsEcho,
      broker: s.broker,
      https: s.bareHttps,
      handshake: s.handshake,
      resumedHandshake: s.resumedHandshake,
      resumedCount: resumedHandshake.resumed(),
      handshakes: resumedHandshake.handshakes(),
    },
    hubHandshake: {
      full: s.hubHandshake,
      resumed: s.hubResumedHandshake,
      resumedCount: hubResumedHandshake.resumed(),
      handshakes: hubResumedHandshake.handshakes(),
    },
    noop: s.noop,
    reboot: s.reboot,
    bareReport: s.bareReport,
    ratio: {
      noop: floorRatio(s.noop.median, floors),
      reboot: floorRatio(s.reboot.median, floors),
      rebootOwnFloor: floorRatio(s.reboot.median, [...floors, s.mqtt.median]),
      rebootOverBare: s.reboot.median / s.bareReport.median,
      hubMqttOverBroker: floorRatio(s.mqtt.median, [s.broker.median]),
      brokerOverEcho: floorRatio(s.broker.median, [s.tlsEcho.median]),
      hubHttpsOverBare: floorRatio(s.https.median, [s.bareHttps.median]),
      noopOverIndependent: floorRatio(s.noop.median, independent),
      rebootOverIndependent: floorRatio(s.reboot.median, [...independent, s.broker.median]),
      hubShareOfNoop: 1 - 1 / floorRatio(s.noop.median, independent),
      hubHandshakeOverBare: floorRatio(s.hubHandshake.median, [s.handshake.median]),
    },
  };
}
