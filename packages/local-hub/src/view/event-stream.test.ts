import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { HubEventBus } from '../events/bus';
import type { Timers } from '../timers';
import { HEARTBEAT_MS, STREAM_BUFFER_LIMIT_BYTES, streamEvents } from './event-stream';

/** The slice of ServerResponse the stream uses; `writableLength` is what a stalled reader leaves unsent. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  writableLength = 0;
  ended = false;
  status = 0;
  writeHead(status: number) {
    this.status = status;
    return this;
  }
  write(text: string) {
    this.writes.push(text);
    return true;
  }
  end() {
    this.ended = true;
    return this;
  }
}

function fakeTimers() {
  const pending = new Map<number, () => void>();
  let next = 1;
  const timers: Timers = {
    setTimeout: (fn) => {
      pending.set(next, fn);
      return next++;
    },
    clearTimeout: (handle) => pending.delete(handle as number),
  };
  return {
    timers,
    pending,
    fire: () => {
      for (const [id, fn] of [...pending.entries()]) {
        pending.delete(id);
        fn();
      }
    },
  };
}

describe('streamEvents', () => {
  const setup = () => {
    const bus = new HubEventBus(() => new Date('2026-12-01T10:00:00.000Z'));
    const res = new FakeResponse();
    const clock = fakeTimers();
    const end = streamEvents(res as unknown as ServerResponse, bus, clock.timers);
    return { bus, res, clock, end };
  };

  it('writes each event as one SSE data block, and a heartbeat every HEARTBEAT_MS', () => {
    const { bus, res, clock } = setup();
    expect(res.status).toBe(200);
    bus.emit({ type: 'twin', deviceId: 'd', version: 3 });
    expect(res.writes.at(-1)).toBe(
      `data: ${JSON.stringify({ type: 'twin', deviceId: 'd', version: 3, at: '2026-12-01T10:00:00.000Z' })}\n\n`,
    );
    expect(HEARTBEAT_MS).toBe(15_000);
    clock.fire();
    expect(res.writes.at(-1)).toBe(': heartbeat\n\n');
    expect(clock.pending.size).toBe(1);
  });

  it('ends a stream whose reader stalls past the buffer limit instead of buffering more', () => {
    const { bus, res, clock } = setup();
    res.writableLength = STREAM_BUFFER_LIMIT_BYTES + 1;
    const before = res.writes.length;
    bus.emit({ type: 'twin', deviceId: 'd', version: 4 });
    expect(res.ended).toBe(true);
    expect(res.writes).toHaveLength(before);
    expect(bus.hasListeners).toBe(false);
    expect(clock.pending.size).toBe(0);
  });

  it('lets go of the bus and its timer when the page goes away', () => {
    const { bus, res, clock } = setup();
    res.emit('close');
    expect(bus.hasListeners).toBe(false);
    expect(clock.pending.size).toBe(0);
  });
});
