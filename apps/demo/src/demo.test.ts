import { join } from 'node:path';
import { startChildApp } from '@iothub-reboot/app-kit';

// The README's first command, run as a user runs it (the built program, a real hub, two real app processes).
describe('the demo', () => {
  it('reboots the demo device end to end and exits 0', async () => {
    const demo = startChildApp({
      label: '[demo-test]',
      script: join(__dirname, '..', 'dist', 'main.js'),
      env: { LOG_LEVEL: 'info' },
      emit: () => undefined,
    });
    const code = await demo.exited;
    const transcript = demo.lines.join('\n');
    expect({ code, transcript }).toEqual({ code: 0, transcript: expect.any(String) });
    for (const milestone of [
      /\[device\] .*Rebooting device/,
      /\[device\] .*Device rebooted/,
      /\[device\] .*Device twin updated with latest rebootTime/,
      /\[service\] Device answered 200/,
      /\[service\] Last reboot time: \d{4}-/,
      /\[demo\] +the service confirmed the reboot/,
    ]) {
      expect(transcript).toMatch(milestone);
    }
    // The hub's well-known key may be printed elsewhere, but never a device key or a signature.
    expect(transcript).not.toMatch(/SharedAccessKey=|sig=/);
  }, 60_000);
});
