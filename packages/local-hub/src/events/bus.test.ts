import { HubEventBus } from './bus';

describe('HubEventBus', () => {
  const at = new Date('2026-12-01T10:00:00.000Z');

  it('stamps events and hands them to every subscriber until it unsubscribes', () => {
    const bus = new HubEventBus(() => at);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = bus.subscribe((e) => a.push(e));
    bus.subscribe((e) => b.push(e));
    bus.emit({ type: 'twin', deviceId: 'd', version: 2 });
    offA();
    bus.emit({ type: 'job', jobId: 'j', status: 'running' });
    expect(a).toEqual([{ type: 'twin', deviceId: 'd', version: 2, at: at.toISOString() }]);
    expect(b).toHaveLength(2);
  });

  it('keeps a throwing listener from reaching the emitter or the other listeners', () => {
    const errors: unknown[] = [];
    const bus = new HubEventBus(
      () => at,
      (err) => errors.push(err),
    );
    const seen: unknown[] = [];
    bus.subscribe(() => {
      throw new Error('watcher bug');
    });
    bus.subscribe((e) => seen.push(e));
    expect(() => bus.emit({ type: 'device', deviceId: 'd', change: 'removed' })).not.toThrow();
    expect(seen).toHaveLength(1);
    expect(errors).toEqual([expect.objectContaining({ message: 'watcher bug' })]);
  });

  it('does no work without listeners', () => {
    let clockReads = 0;
    const bus = new HubEventBus(() => {
      clockReads += 1;
      return at;
    });
    bus.emit({ type: 'twin', deviceId: 'd', version: 1 });
    expect(bus.hasListeners).toBe(false);
    expect(clockReads).toBe(0);
  });
});
