import { spawnSync } from 'node:child_process';

/**
 * Whether this process may listen on `port` of 127.0.0.1 right now, and if not why: EACCES (ports below
 * 1024 need root, `cap_net_bind_service` or a lower `net.ipv4.ip_unprivileged_port_start`) or EADDRINUSE.
 * Synchronous (a child process tries the bind), so a suite can decide at load time whether it runs.
 */
export function canListenOn(port: number): { ok: true } | { ok: false; code: string } {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const s = require('node:net').createServer();
       s.once('error', (e) => { process.stdout.write(e.code ?? 'ERROR'); process.exit(0); });
       s.listen(${port}, '127.0.0.1', () => s.close(() => process.stdout.write('OK')));`,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  const answer = probe.stdout.trim();
  return answer === 'OK' ? { ok: true } : { ok: false, code: answer || 'no answer' };
}
