import { ConnectionStates } from './presence';

describe('ConnectionStates', () => {
  it('shows the last activity, while the connection state keeps the time it changed', () => {
    let now = new Date('2026-01-01T00:00:00.000Z');
    const states = new ConnectionStates(() => now);
    states.changed('d1', 'Connected');
    now = new Date('2026-01-01T00:00:01.000Z');
    states.active('d1');
    expect(states.of('d1')).toMatchObject({
      connectionState: 'Connected',
      connectionStateUpdatedTime: '2026-01-01T00:00:00.000Z',
      lastActivityTime: '2026-01-01T00:00:01.000Z',
    });
    now = new Date('2026-01-01T00:00:02.000Z');
    states.active('d1');
    now = new Date('2026-01-01T00:00:03.000Z');
    states.active('d1');
    expect(states.of('d1').lastActivityTime).toBe('2026-01-01T00:00:03.000Z');
    // A read without activity since shows the same time.
    expect(states.of('d1').lastActivityTime).toBe('2026-01-01T00:00:03.000Z');
    now = new Date('2026-01-01T00:00:04.000Z');
    states.changed('d1', 'Disconnected');
    expect(states.of('d1')).toMatchObject({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: '2026-01-01T00:00:04.000Z',
      lastActivityTime: '2026-01-01T00:00:04.000Z',
    });
  });

  it('ignores activity of a device never connected: it stays unseen', () => {
    const states = new ConnectionStates(() => new Date('2026-01-01T00:00:00.000Z'));
    states.active('ghost');
    expect(states.of('ghost')).toEqual({
      connectionState: 'Disconnected',
      lastActivityTime: '0001-01-01T00:00:00Z',
      connectionStateUpdatedTime: '0001-01-01T00:00:00Z',
    });
  });
});
