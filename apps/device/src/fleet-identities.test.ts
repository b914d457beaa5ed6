import {
  type LocalHub,
  type ServiceClients,
  startTestHub,
  type TestHub,
} from '@iothub-reboot/local-hub/testing';
import { ensureFleetIdentities, fleetDeviceIds } from './fleet-identities';

describe('fleetDeviceIds', () => {
  it('pads indexes so ids sort in order', () => {
    expect(fleetDeviceIds({ count: 3, idPrefix: 'sim-' })).toEqual(['sim-0', 'sim-1', 'sim-2']);
    const ids = fleetDeviceIds({ count: 1000, idPrefix: 'x' });
    expect(ids[0]).toBe('x000');
    expect(ids[999]).toBe('x999');
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('ensureFleetIdentities against the local hub', () => {
  let t: TestHub;
  let hub: LocalHub;
  let service: ServiceClients;
  beforeAll(async () => {
    t = await startTestHub();
    hub = t.hub;
    service = t.service;
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a new fleet in bulk with working keys and site tags', async () => {
    const fleet = await ensureFleetIdentities(service.registry, { count: 250, idPrefix: 'new-', sites: 3 });
    expect(fleet).toHaveLength(250);
    expect(fleet[4]).toMatchObject({ deviceId: 'new-004', site: 'site-1' });
    const { responseBody: device } = await service.registry.get('new-249');
    expect(device.authentication?.symmetricKey?.primaryKey).toBe(fleet[249]?.primaryKey);
    const { responseBody: twin } = await service.registry.getTwin('new-004');
    expect(twin.tags).toEqual({ simulator: 'new-', site: 'site-1' });
  });

  it('adopts devices that already exist: their keys stay, their tags are set', async () => {
    const kept = await hub.createDevice('mix-1');
    await service.registry.updateTwin('mix-1', { tags: { simulator: 'other', owner: 'me' } }, '*');
    const fleet = await ensureFleetIdentities(service.registry, { count: 3, idPrefix: 'mix-', sites: 2 });
    expect(fleet.map((f) => f.deviceId)).toEqual(['mix-0', 'mix-1', 'mix-2']);
    expect(fleet[1]).toEqual({ deviceId: 'mix-1', primaryKey: kept.primaryKey, site: 'site-1' });
    const { responseBody: twin } = await service.registry.getTwin('mix-1');
    expect(twin.tags).toEqual({ simulator: 'mix-', site: 'site-1', owner: 'me' });
    // Running again changes nothing: every device is adopted with the key it has.
    await expect(
      ensureFleetIdentities(service.registry, { count: 3, idPrefix: 'mix-', sites: 2 }),
    ).resolves.toEqual(fleet);
  });

  it('fails with the hub’s reason when it refuses a device for anything but existing', async () => {
    await expect(
      ensureFleetIdentities(service.registry, { count: 2, idPrefix: 'bad/', sites: 1 }),
    ).rejects.toThrow(/refused to create 2 simulated device\(s\); first: bad\/0: ArgumentInvalid/);
  });
});
