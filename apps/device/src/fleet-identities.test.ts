import { fleetDeviceIds } from './fleet-identities';

describe('fleetDeviceIds', () => {
  it('pads indexes so ids sort in order', () => {
    expect(fleetDeviceIds({ count: 3, idPrefix: 'sim-' })).toEqual(['sim-0', 'sim-1', 'sim-2']);
    const ids = fleetDeviceIds({ count: 1000, idPrefix: 'x' });
    expect(ids[0]).toBe('x000');
    expect(ids[999]).toBe('x999');
    expect([...ids].sort()).toEqual(ids);
  });
});
