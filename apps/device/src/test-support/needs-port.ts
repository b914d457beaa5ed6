import { canListenOn } from '@iothub-reboot/local-hub/testing';

/**
 * `describe` for a suite that must listen on a fixed port (443): where that port cannot be bound it says so
 * in one line and the suite shows as skipped — except in CI (`CI` set), where it runs and fails on the bind,
 * so a CI run never passes by skipping it. The device app's copy of the local hub's own
 * (packages/local-hub/src/test-support/needs-port.ts), which is not part of its published test kit.
 */
export function describeListeningOn(port: number, suite: string): jest.Describe {
  const probe = canListenOn(port);
  if (probe.ok || process.env.CI) return describe;
  process.stderr.write(
    `${suite}: cannot listen on 127.0.0.1:${port} here (${probe.code}), so it is SKIPPED; ` +
      'see the local-hub README ("Port 443 mode") to allow it; in CI it runs\n',
  );
  return describe.skip;
}
