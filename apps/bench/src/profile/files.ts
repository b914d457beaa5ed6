import { readdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import {
  type CpuProfile,
  mergePhaseProfiles,
  type PhaseProfile,
  type PhaseWindow,
  summarizeProfile,
} from './summary';

/** One process role's CPU split by phase (several processes of one role, e.g. successive hubs, added up). */
export interface ProcessProfile {
  role: string;
  /** The profiles (one per process) read for this role. */
  files: string[];
  phases: PhaseProfile[];
}

/** Now on the monotonic clock of the profiles, in microseconds. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Records the run's phases on the profiles' clock. */
export class PhaseRecorder {
  readonly windows: PhaseWindow[] = [];

  async run<T>(phase: string, run: () => Promise<T>): Promise<T> {
    const startUs = monotonicUs();
    try {
      return await run();
    } finally {
      this.windows.push({ phase, startUs, endUs: monotonicUs() });
    }
  }
}

/** The pid in a name `node --cpu-prof` gives its file: `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`. */
export function pidOfProfile(file: string): number | undefined {
  const match = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file);
  return match ? Number(match[1]) : undefined;
}

/**
 * Reads the profiles in `dir` of the processes named in `roles` (files of other processes, e.g. of
 * earlier runs, are left alone) and splits each by the recorded phases; one entry per role, in the order
 * roles were named.
 */
export async function summarizeProfiles(
  dir: string,
  roles: ReadonlyMap<number, string>,
  windows: readonly PhaseWindow[],
): Promise<ProcessProfile[]> {
  const byRole = new Map<string, { files: string[]; phases: PhaseProfile[] }>();
  for (const role of roles.values()) byRole.set(role, { files: [], phases: [] });
  for (const file of (await readdir(dir)).sort()) {
    const pid = pidOfProfile(file);
    const role = pid === undefined ? undefined : roles.get(pid);
    if (role === undefined) continue;
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const entry = byRole.get(role) as { files: string[]; phases: PhaseProfile[] };
    entry.files.push(file);
    entry.phases.push(...summarizeProfile(profile, windows));
  }
  return [...byRole]
    .filter(([, entry]) => entry.files.length > 0)
    .map(([role, entry]) => ({ role, files: entry.files, phases: mergePhaseProfiles(entry.phases) }));
}

/**
 * Profiles this process (the service side) through the inspector, at `node --cpu-prof`'s 1 ms interval;
 * `stop` writes the profile into `dir` under the name `--cpu-prof` would give it.
 */
export async function profileThisProcess(dir: string): Promise<{ stop(): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '.').slice(0, 15);
      await writeFile(join(dir, `CPU.${stamp}.${process.pid}.0.900.cpuprofile`), JSON.stringify(profile));
    },
  };
}
