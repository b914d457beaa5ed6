import type { ConfirmationResult } from './confirmation';
import type { FleetFigures } from './fleet';
import type { ProcessProfile } from './profile/files';
import type { RoundTripResult } from './round-trip';
import type { Summary } from './stats';
import type { StormFigures } from './storm';
import type { ThroughputResult } from './throughput';

/** Everything one run measured, as written to latest.json. */
export interface BenchReport {
  startedAt: string;
  durationMs: number;
  node: string;
  cpus: number;
  cpuModel: string;
  commit: string;
  settings: Record<string, unknown>;
  /** Only the scenarios that ran (`--scenarios`). */
  scenarios: {
    methodRoundTrip?: RoundTripResult;
    rebootConfirmation?: ConfirmationResult;
    fleet?: FleetFigures[];
    storm?: StormFigures;
    throughput?: ThroughputResult;
  };
  /** With --cpu-prof-dir: each process role's self time per phase, by category. */
  profiles?: ProcessProfile[];
}

const ms = (n: number) => n.toFixed(2);
const row = (cells: readonly string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(44) : c.padStart(10))).join('');
const latencyRow = (name: string, s: Summary) =>
  row([name, ms(s.median), ms(s.p90), ms(s.p99), String(s.count)]);

/** The report as a plain-text table for people. */
export function formatReport(report: BenchReport): string {
  const { methodRoundTrip, rebootConfirmation, fleet, storm, throughput } = report.scenarios;
  const sections = [
    [
      `Node ${report.node}, ${report.cpus} CPUs (${report.cpuModel}), commit ${report.commit.slice(0, 12)}, ${(report.durationMs / 1000).toFixed(1)} s`,
    ],
    methodRoundTrip && roundTripLines(methodRoundTrip),
    rebootConfirmation && confirmationLines(rebootConfirmation),
    fleet && fleetLines(fleet),
    throughput && throughputLines(throughput),
    storm && stormLines(storm),
    report.profiles && profileLines(report.profiles),
  ];
  return `${sections
    .filter((lines) => lines !== undefined)
    .map((lines) => lines.join('\n'))
    .join('\n\n')}\n`;
}

function roundTripLines(rt: RoundTripResult): string[] {
  return [
    '1. Method round trip (ms)',
    row(['', 'p50', 'p90', 'p99', 'n']),
    latencyRow('floor: raw MQTT publish→reply (twin GET)', rt.floor.mqtt),
    latencyRow('floor: keep-alive HTTPS GET /health', rt.floor.https),
    latencyRow('invokeDeviceMethod, zero-work method', rt.noop),
    latencyRow('invokeDeviceMethod, rebootDevice 0 s', rt.reboot),
    latencyRow('invokeDeviceMethod, bare SDK report+answer', rt.bareReport),
    `ratio = SDK p50 / (MQTT p50 + HTTPS p50): zero-work ${rt.ratio.noop.toFixed(2)}, rebootDevice ${rt.ratio.reboot.toFixed(2)} (target ≤ 2.0, stretch 1.5)`,
    `rebootDevice / (HTTPS p50 + 2 × MQTT p50: its method and its twin report): ${rt.ratio.rebootOwnFloor.toFixed(2)}`,
    `rebootDevice / bare SDK report+answer (what device-reboot-handler adds): ${rt.ratio.rebootOverBare.toFixed(2)}`,
    '',
    `Independent floor (no hub logic, own process, ${rt.independent.keyType.toUpperCase()} certificate like the hub's)`,
    row(['', 'p50', 'p90', 'p99', 'n']),
    latencyRow('bare TLS echo, 128 B', rt.independent.tlsEcho),
    latencyRow('aedes, no hub logic: publish→reply', rt.independent.broker),
    latencyRow('bare Node HTTPS, keep-alive GET', rt.independent.https),
    latencyRow('TLS handshake, bare server', rt.independent.handshake),
    latencyRow(
      `TLS handshake, bare, resumed (${rt.independent.resumedCount}/${rt.independent.handshakes})`,
      rt.independent.resumedHandshake,
    ),
    latencyRow('TLS handshake, hub MQTT port', rt.hubHandshake.full),
    latencyRow(
      `TLS handshake, hub, resumed (${rt.hubHandshake.resumedCount}/${rt.hubHandshake.handshakes})`,
      rt.hubHandshake.resumed,
    ),
    `hub MQTT twin GET / aedes relay (hub's own work on the device leg): ${rt.ratio.hubMqttOverBroker.toFixed(2)}`,
    `aedes relay / TLS echo (MQTT brokering over TLS): ${rt.ratio.brokerOverEcho.toFixed(2)}`,
    `hub GET /health / bare HTTPS (hub's HTTP stack): ${rt.ratio.hubHttpsOverBare.toFixed(2)}`,
    `zero-work method / (bare HTTPS + aedes relay): ${rt.ratio.noopOverIndependent.toFixed(2)}, hub's own share ${(rt.ratio.hubShareOfNoop * 100).toFixed(0)} %`,
    `rebootDevice / (bare HTTPS + 2 × aedes relay): ${rt.ratio.rebootOverIndependent.toFixed(2)}`,
    `hub TLS handshake / bare TLS handshake: ${rt.ratio.hubHandshakeOverBare.toFixed(2)}`,
  ];
}

function confirmationLines(conf: ConfirmationResult): string[] {
  return [
    `2. Reboot confirmation (poll interval ${conf.pollIntervalMs} ms)`,
    row(['', 'p50', 'p90', 'p99', 'max']),
    ...conf.modes.flatMap((m) => [
      row([
        `${m.mode}: twin reads`,
        String(m.reads.median),
        String(m.reads.p90),
        String(m.reads.p99),
        String(m.reads.max),
      ]),
      row([
        `${m.mode}: detection delay ms`,
        ms(m.detectionDelayMs.median),
        ms(m.detectionDelayMs.p90),
        ms(m.detectionDelayMs.p99),
        ms(m.detectionDelayMs.max),
      ]),
      row([
        `${m.mode}: invoke → confirmed ms`,
        ms(m.confirmMs.median),
        ms(m.confirmMs.p90),
        ms(m.confirmMs.p99),
        ms(m.confirmMs.max),
      ]),
    ]),
  ];
}

function fleetLines(fleet: readonly FleetFigures[]): string[] {
  return [
    '3. Fleet (reboot = until every device is confirmed; requests = calls the service side made)',
    row(['devices', 'connect ms', 'KB/device', 'reboot ms', 'answered', 'call p50', 'call p99', 'requests']),
    ...fleet.flatMap((f) => [connectFloorLine(f), memoryLine(f)]),
    ...fleet.flatMap((f) => [
      row([
        `${f.devices} fan-out (${f.store} store, ${f.processes} proc)`,
        f.connectMs.toFixed(0),
        f.hubRssPerDeviceBytes >= 0 ? (f.hubRssPerDeviceBytes / 1024).toFixed(1) : '–',
        f.fanOut.wallMs.toFixed(0),
        f.fanOut.answeredMs.toFixed(0),
        ms(f.fanOut.methodLatency.median),
        ms(f.fanOut.methodLatency.p99),
        String(f.fanOut.requests.methodCalls + f.fanOut.requests.queryPages),
      ]),
      row([
        `${f.devices} job (${f.store} store)`,
        '',
        '',
        f.job.wallMs.toFixed(0),
        f.job.jobEndedMs.toFixed(0),
        '',
        '',
        String(f.job.requests.scheduleJob + f.job.requests.getJob + f.job.requests.queryPages),
      ]),
    ]),
  ];
}

/** The fleet's connect set against its floors of the same run (same workers, same number of connections). */
function connectFloorLine(f: FleetFigures): string {
  const { tls, mqtt } = f.connectFloor;
  const s = (n: number) => (n / 1000).toFixed(1);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '–');
  return `${f.devices} connect floors: bare TLS ${s(tls.connectMs)} s, the SDK's connect to bare aedes ${s(mqtt.connectMs)} s; the SDK fleet on the hub ${s(f.connectMs)} s = ${ratio(f.connectMs, tls.connectMs)} × TLS, ${ratio(f.connectMs, mqtt.connectMs)} × aedes (aedes / TLS ${ratio(mqtt.connectMs, tls.connectMs)})`;
}

/**
 * The hub's growth per connected device, and the floor servers' per held connection. RSS can fall while
 * a series connects (memory of an earlier, larger series returned to the system), which says nothing per
 * device: that is said instead.
 */
function memoryLine(f: FleetFigures): string {
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const rss = (bytes: number) =>
    bytes >= 0 ? `${kb(bytes)} KB RSS` : 'no RSS figure (RSS fell: an earlier series freed memory)';
  const { tls, mqtt } = f.connectFloor;
  return `${f.devices} connected: hub memory per device ${rss(f.hubRssPerDeviceBytes)}, JavaScript heap ${kb(f.hubHeapPerDeviceBytes)} KB, external ${kb(f.hubExternalPerDeviceBytes)} KB; floors per connection: bare TLS ${rss(tls.rssPerConnectionBytes)} (heap ${kb(tls.heapPerConnectionBytes)} KB), bare aedes ${rss(mqtt.rssPerConnectionBytes)} (heap ${kb(mqtt.heapPerConnectionBytes)} KB)`;
}

function stormLines(st: StormFigures): string[] {
  const s = (n: number) => (n / 1000).toFixed(1);
  return [
    `5. Reconnect storm: ${st.devices} devices (${st.processes} proc) connected, hub process restarted on its file store`,
    `first connect ${s(st.connectMs)} s; hub stop → listening again ${s(st.restartMs)} s (the old process closing its connections and exiting: ${s(st.stopMs)} s)`,
    `every device reconnected ${s(st.allReconnectedMs)} s, every device answered a method ${s(st.allAnsweredMs)} s after the restart began (target ≤ 15 s at 10,000)`,
    row(['', 'p50', 'p90', 'p99', 'n']),
    row([
      'per device: restart → reconnected, s',
      s(st.reconnect.median),
      s(st.reconnect.p90),
      s(st.reconnect.p99),
      String(st.reconnect.count),
    ]),
    row([
      'per device: restart → answered, s',
      s(st.back.median),
      s(st.back.p90),
      s(st.back.p99),
      String(st.back.count),
    ]),
    `method calls made: ${st.methodCalls}`,
  ];
}

/** The five largest categories of each process's phases, as shares of the phase's wall time. */
function profileLines(profiles: readonly ProcessProfile[]): string[] {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  return [
    'CPU by phase (self time, % of the phase wall time; --cpu-prof, 1 ms samples)',
    ...profiles.flatMap((p) => [
      `${p.role} (${p.files.length} process${p.files.length === 1 ? '' : 'es'})`,
      ...p.phases.map(
        (ph) =>
          `  ${ph.phase}: busy ${pct(ph.busyMs / ph.wallMs)} of ${(ph.wallMs / 1000).toFixed(1)} s; ${ph.categories
            .slice(0, 5)
            .map((c) => `${c.category} ${pct(c.share)}`)
            .join(', ')}`,
      ),
    ]),
  ];
}

function throughputLines(tp: ThroughputResult): string[] {
  return [
    `4. Throughput (${tp.inFlight} in flight over ${tp.devices} devices)`,
    row(['', 'per s', 'p50 ms', 'p90 ms', 'p99 ms']),
    row([
      'invokeDeviceMethod, zero-work',
      tp.methods.perSecond.toFixed(0),
      ms(tp.methods.latency.median),
      ms(tp.methods.latency.p90),
      ms(tp.methods.latency.p99),
    ]),
    row([
      'getTwin',
      tp.twinReads.perSecond.toFixed(0),
      ms(tp.twinReads.latency.median),
      ms(tp.twinReads.latency.p90),
      ms(tp.twinReads.latency.p99),
    ]),
  ];
}
