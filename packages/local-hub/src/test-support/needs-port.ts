import { canListenOn, type FixedPortHold, holdFixedPort, isFixedPortHeld } from '../testing/privileged-port';

/**
 * `describe` for a suite that must listen on a fixed port (443, 8883). Where that port cannot be bound it says
 * so in one line and the suite shows as skipped — except in CI (`CI` set), where the suite runs and fails on
 * the bind: a CI run never passes by skipping it. A port busy because another of our suites holds it (turbo
 * runs two packages at once) is no reason to skip: the suite waits for it ({@link holdFixedPort}).
 */
export function describeListeningOn(port: number, suite: string): jest.Describe {
  const probe = canListenOn(port);
  const ours = !probe.ok && probe.code === 'EADDRINUSE' && isFixedPortHeld(port);
  if (!probe.ok && !ours && !process.env.CI) {
    process.stderr.write(
      `${suite}: cannot listen on 127.0.0.1:${port} here (${probe.code}), so it is SKIPPED; ` +
        'see the local-hub README ("Port 443 mode") to allow it; in CI it runs\n',
    );
    return describe.skip;
  }
  return holdingPort(port);
}

/** `describe` whose suite holds `port` from its first hook to its last. */
function holdingPort(port: number): jest.Describe {
  const wrap =
    (base: (name: string, fn: () => void) => void) =>
    (name: string, fn: () => void): void =>
      base(name, () => {
        let hold: FixedPortHold | undefined;
        beforeAll(async () => {
          hold = await holdFixedPort(port);
        }, 150_000);
        afterAll(() => hold?.release());
        fn();
      });
  return Object.assign(wrap(describe), {
    ...describe,
    only: wrap(describe.only),
  }) as unknown as jest.Describe;
}
