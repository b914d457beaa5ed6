import { createServer } from 'node:net';
import { canListenOn } from './privileged-port';

describe('canListenOn', () => {
  it('says EADDRINUSE for a port this process holds, OK once it is released', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    expect(canListenOn(port)).toEqual({ ok: false, code: 'EADDRINUSE' });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(canListenOn(port)).toEqual({ ok: true });
  });
});
