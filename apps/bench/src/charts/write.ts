import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport } from '../report';
import { renderSvg } from './render';
import { type LatencySeries, latencySpec, type SeriesKind, timelineSpec } from './specs';

/** The round-trip series the latency chart shows, top to bottom: floors first, then what is built on them. */
const ROUND_TRIP_SERIES: ReadonlyArray<{ key: string; name: string; kind: SeriesKind }> = [
  { key: 'tlsEcho', name: 'bare TLS echo', kind: 'independent floor' },
  { key: 'broker', name: 'aedes relay (no hub logic)', kind: 'independent floor' },
  { key: 'bareHttps', name: 'bare HTTPS GET', kind: 'independent floor' },
  { key: 'handshake', name: 'TLS handshake, bare', kind: 'independent floor' },
  { key: 'resumedHandshake', name: 'TLS handshake, bare, resumed', kind: 'independent floor' },
  { key: 'mqtt', name: 'hub MQTT twin GET', kind: 'hub floor' },
  { key: 'https', name: 'hub HTTPS GET /health', kind: 'hub floor' },
  { key: 'hubHandshake', name: 'TLS handshake, hub', kind: 'hub floor' },
  { key: 'hubResumedHandshake', name: 'TLS handshake, hub, resumed', kind: 'hub floor' },
  { key: 'noop', name: 'invokeDeviceMethod, zero-work', kind: 'SDK through the hub' },
  { key: 'bareReport', name: 'invokeDeviceMethod, bare report+answer', kind: 'SDK through the hub' },
  { key: 'reboot', name: 'invokeDeviceMethod, rebootDevice', kind: 'SDK through the hub' },
];

/**
 * Writes the report's charts as SVG next to it: `round-trip.svg` (latency distributions against the
 * floors) and `fleet-<devices>-<store>.svg` (devices connected, answered and confirmed over time).
 * Returns the files written.
 */
export async function writeCharts(report: BenchReport, dir: string): Promise<string[]> {
  const written: string[] = [];
  const write = async (name: string, svg: string) => {
    const file = join(dir, name);
    await writeFile(file, svg);
    written.push(file);
  };
  const rt = report.scenarios.methodRoundTrip;
  if (rt) {
    const series: LatencySeries[] = ROUND_TRIP_SERIES.flatMap(({ key, name, kind }) => {
      const samples = rt.samplesMs[key];
      return samples ? [{ name, kind, samples }] : [];
    });
    await write(
      'round-trip.svg',
      await renderSvg(latencySpec(`Round trips, ${report.cpus} CPUs, ${rt.noop.count} samples each`, series)),
    );
  }
  for (const f of report.scenarios.fleet ?? []) {
    await write(
      `fleet-${f.devices}-${f.store}.svg`,
      await renderSvg(
        timelineSpec(
          `${f.devices} devices (${f.store} store, ${f.processes} simulator processes): connect, fan-out reboot, job reboot`,
          f.timeline,
        ),
      ),
    );
  }
  const st = report.scenarios.storm;
  if (st) {
    await write(
      `storm-${st.devices}.svg`,
      await renderSvg(
        timelineSpec(
          `${st.devices} devices: first connect, then reconnected and answering after a hub restart`,
          st.timeline,
        ),
      ),
    );
  }
  return written;
}
