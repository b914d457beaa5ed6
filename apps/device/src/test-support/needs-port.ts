import {
  canListenOn,
  type FixedPortHold,
  holdFixedPort,
  isFixedPortHeld,
} from '@iothub-reboot/local-hub/testing';

/**
 * `describe` for a suite that must listen on a fixed port (443): where that port cannot be bound it says so
 * in one line and the suite shows as skipped — except in CI (`CI` set), where it runs and fails on the bind,
 * so a CI run never passes by skipping it. A port held by another of our suites (the local hub's own 443
 * suites, run by turbo beside this package) is waited for, not skipped. The device app's copy of the local
 * hub's own (packages/local-hub/src/test-support/needs-port.ts), which is not part of its published test kit.
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
  return ((name: string, fn: () => void) =>
    describe(name, () => {
      let hold: FixedPortHold | undefined;
      beforeAll(async () => {
        hold = await holdFixedPort(port);
      }, 150_000);
      afterAll(() => hold?.release());
      fn();
    })) as unknown as jest.Describe;
}
