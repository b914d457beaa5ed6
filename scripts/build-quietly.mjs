#!/usr/bin/env node
// `turbo run build` for the commands people run by hand (demo, local-hub, bench, soak): turbo's header and
// task summary are noise there, so its output is kept back and shown only when the build fails, whole.
// One line goes to stderr, never stdout, so `CS=$(pnpm local-hub device show id)` captures only the string.
// Usage: node scripts/build-quietly.mjs [turbo build flags, e.g. --filter=@iothub-reboot/local-hub...]
import { spawn } from 'node:child_process';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const turbo = join(root, 'node_modules', '.bin', 'turbo');
const started = Date.now();
const child = spawn(turbo, ['run', 'build', '--output-logs=errors-only', ...process.argv.slice(2)], {
  cwd: root,
  // The telemetry notice and update check print on first use; neither is needed for a local build.
  env: {
    ...process.env,
    // `pnpm exec` (how `pnpm local-hub` reaches the local-hub bin) puts `./node_modules/.bin` first on PATH;
    // turbo would find pnpm there and then fail to spawn it from each package's directory.
    PATH: (process.env.PATH ?? '')
      .split(delimiter)
      .map((entry) => (entry === '' || isAbsolute(entry) ? entry : resolve(entry)))
      .join(delimiter),
    TURBO_TELEMETRY_DISABLED: '1',
    TURBO_NO_UPDATE_NOTIFIER: '1',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
// A cached build is over in well under a second; only a real one says it is working, so a first run
// does not look stuck.
const notice = setTimeout(
  () => process.stderr.write('build: building the packages (the first run takes about a minute)…\n'),
  2000,
);
const output = [];
child.stdout.on('data', (chunk) => output.push(chunk));
child.stderr.on('data', (chunk) => output.push(chunk));
child.on('error', (error) => {
  process.stderr.write(`build: cannot run turbo (${error.message}); run the install first\n`);
  process.exit(1);
});
child.on('close', (code, signal) => {
  clearTimeout(notice);
  if (code === 0) {
    const text = Buffer.concat(output).toString('utf8');
    const cached = /FULL TURBO/.test(text);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (!cached) process.stderr.write(`build: done in ${seconds} s\n`);
    process.exit(0);
  }
  process.stderr.write(Buffer.concat(output));
  process.stderr.write(`build: failed (${signal ?? `exit ${code}`})\n`);
  process.exit(code ?? 1);
});
