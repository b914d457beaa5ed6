import { startChildApp } from './child-app';

describe('startChildApp', () => {
  it('labels every line of stdout and stderr and resolves with the exit code', async () => {
    const lines: string[] = [];
    const app = startChildApp({
      label: '[x]',
      script: "console.log('one\\ntwo'); console.error('three'); process.exitCode = 3",
      emit: (l) => lines.push(l),
      nodeArgs: ['-e'],
    });
    expect(await app.exited).toBe(3);
    expect(lines.sort()).toEqual(['[x] one', '[x] three', '[x] two']);
  });

  it('stops a running app with SIGTERM and reports 128 + 15 when it does not handle it', async () => {
    const lines: string[] = [];
    const app = startChildApp({
      label: '[y]',
      script: "console.log('up'); setInterval(() => {}, 1000)",
      emit: (l) => lines.push(l),
      nodeArgs: ['-e'],
    });
    await app.waitForLine(/up/);
    expect(await app.stop()).toBe(143);
    expect(await app.stop()).toBe(143); // stopping twice is harmless
  });

  it('kills an app that ignores SIGTERM after the grace period', async () => {
    const app = startChildApp({
      label: '[z]',
      script: "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)",
      emit: () => undefined,
      nodeArgs: ['-e'],
    });
    await app.waitForLine(/up/);
    expect(await app.stop(200)).toBe(137);
  });

  it('rejects waitForLine when the app exits first', async () => {
    const app = startChildApp({
      label: '[w]',
      script: "console.log('bye')",
      emit: () => undefined,
      nodeArgs: ['-e'],
    });
    await expect(app.waitForLine(/never/)).rejects.toThrow(/exited with code 0 before printing/);
  });
});
