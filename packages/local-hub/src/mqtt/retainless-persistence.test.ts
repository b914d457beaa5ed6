import { retainlessPersistence } from './retainless-persistence';

const read = async (stream: NodeJS.ReadableStream) => {
  const packets: unknown[] = [];
  for await (const packet of stream) packets.push(packet);
  return packets;
};

describe('retainlessPersistence', () => {
  it('keeps no retained packet and answers every retained read with an ended, empty stream', async () => {
    const persistence = retainlessPersistence();
    const packet = { cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: true } as const;
    // aedes' form (a promise) and the declared one (a callback).
    await (persistence.storeRetained(packet as never, () => undefined) as unknown as Promise<void>);
    await new Promise<void>((resolve, reject) =>
      persistence.storeRetained(packet as never, (err) => (err ? reject(err) : resolve())),
    );
    await expect(read(persistence.createRetainedStream('#'))).resolves.toEqual([]);
    await expect(read(persistence.createRetainedStreamCombi(['a/b', '#']))).resolves.toEqual([]);
  });
});
