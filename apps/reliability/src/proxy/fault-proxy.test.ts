import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { type FaultProxy, startFaultProxy } from './fault-proxy';

// The proxy's sockets against a plain TCP echo server: what each control does on the wire.
describe('fault proxy', () => {
  let echo: Server;
  let proxy: FaultProxy;
  const clients: Socket[] = [];

  beforeEach(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const address = echo.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: address.port } });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  async function connect(): Promise<{ socket: Socket; received: () => string; next: () => Promise<string> }> {
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
    clients.push(socket);
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    await proxy.whenAccepted(clients.length);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    return {
      socket,
      received: () => text,
      next: async () => {
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        return chunk.toString();
      },
    };
  }

  it('forwards both ways, in order, with added latency', async () => {
    proxy.setLatency(30);
    const { socket, next } = await connect();
    const got = next();
    socket.write('hello');
    expect(await got).toBe('hello');
  });

  it('drop keeps the connection open but forwards nothing; heal resumes it', async () => {
    const { socket, received, next } = await connect();
    proxy.drop();
    socket.write('lost');
    // A round trip on a second, healthy connection proves the first one's bytes had time to arrive.
    const other = await connect();
    const echoed = other.next();
    other.socket.write('ping');
    expect(await echoed).toBe('ping');
    expect(received()).toBe('');
    expect(socket.destroyed).toBe(false);
    proxy.heal([1]);
    const back = next();
    socket.write('found');
    expect(await back).toBe('found');
  });

  it('half-open passes one direction only and never closes', async () => {
    const { socket, received } = await connect();
    proxy.halfOpen('downstream');
    socket.write('one-way');
    const other = await connect();
    const echoed = other.next();
    other.socket.write('ping');
    expect(await echoed).toBe('ping');
    expect(received()).toBe('');
    expect(socket.destroyed).toBe(false);
  });

  it('reset ends a connection with ECONNRESET; cutAll ends every one; new connections still work', async () => {
    const first = await connect();
    const second = await connect();
    const errors = [first, second].map(
      ({ socket }) =>
        new Promise<string | undefined>((resolve) =>
          socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code)),
        ),
    );
    proxy.reset([proxy.connectionIds()[0] ?? -1]);
    expect(await errors[0]).toBe('ECONNRESET');
    proxy.cutAll();
    expect(await errors[1]).toBe('ECONNRESET');
    expect(proxy.connectionIds()).toEqual([]);
    const third = await connect();
    const echoed = third.next();
    third.socket.write('again');
    expect(await echoed).toBe('again');
    expect(proxy.accepted).toBe(3);
  });

  it('refuses a bad latency', () => {
    expect(() => proxy.setLatency(-5)).toThrow(RangeError);
  });
});
