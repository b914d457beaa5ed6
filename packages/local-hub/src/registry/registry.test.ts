import fc from 'fast-check';
import { MemoryBackend } from '../persistence/backend';
import { openHubState } from '../state';
import { heldDisk, writesTo } from '../test-support/held-disk';
import { NOW, setup } from '../test-support/registry';
import { isValidDeviceId } from './device-id';
import { checkEtag, DeviceRegistry, newEtag } from './devices';
import { ModuleRegistry } from './modules';

describe('device ids', () => {
  it.each(['a', "A-1:.+%_#*?!(),=@;$'", 'x'.repeat(128)])('accepts %j', (id) => {
    expect(isValidDeviceId(id)).toBe(true);
  });
  it.each(['', 'x'.repeat(129), 'a/b', 'a b', 'é', 'a&b', 42])('refuses %j', (id) => {
    expect(isValidDeviceId(id)).toBe(false);
  });
});

describe('If-Match', () => {
  const accepts = (current: string, ifMatch: string) => () => checkEtag(current, ifMatch);
  // The x509 suite failed once with 412 on a DELETE whose If-Match was the etag just returned: a random
  // base64 etag began with `W/`, which was stripped as a weakness prefix.
  it('takes an etag that begins with W/ as it is, bare or quoted', () => {
    expect(accepts('W/c9sFpD+a', 'W/c9sFpD+a')).not.toThrow();
    expect(accepts('W/c9sFpD+a', '"W/c9sFpD+a"')).not.toThrow();
    expect(accepts('W/c9sFpD+a', 'W/"W/c9sFpD+a"')).not.toThrow();
    expect(accepts('c9sFpD+a', 'W/c9sFpD+a')).toThrow(
      expect.objectContaining({ errorName: 'PreconditionFailed', status: 412 }),
    );
  });

  it('accepts every etag the hub makes bare, quoted (what the SDKs send) and weak, and *', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 9 }), (bytes) => {
        const etag = Buffer.from(bytes).toString('base64');
        for (const form of [etag, `"${etag}"`, `W/"${etag}"`, ` ${etag} `, '*'])
          expect(accepts(etag, form)).not.toThrow();
        expect(accepts(etag, `${etag}x`)).toThrow(
          expect.objectContaining({ errorName: 'PreconditionFailed', status: 412 }),
        );
      }),
    );
    expect(newEtag()).toMatch(/^[A-Za-z0-9+/]{12}$/);
  });
});

describe('DeviceRegistry and TwinRegistry', () => {
  it('creates a device with generated keys and an empty twin', async () => {
    const { registry, twins } = await setup();
    const device = await registry.create('d1');
    // IoT Hub: a status that never changed shows the never-set time (DateTime.MinValue), not the creation time.
    expect(device).toMatchObject({
      deviceId: 'd1',
      status: 'enabled',
      statusUpdatedTime: '0001-01-01T00:00:00Z',
    });
    expect(device.generationId).toMatch(/^\d{18}$/);
    expect(Buffer.from(device.primaryKey, 'base64')).toHaveLength(32);
    expect(device.primaryKey).not.toBe(device.secondaryKey);
    expect(twins.get('d1')).toMatchObject({ deviceId: 'd1', tags: {} });
  });

  it('refuses a second create of an id whose first create is still being written', async () => {
    const { registry } = await setup();
    const [first, second] = await Promise.allSettled([registry.create('race'), registry.create('race')]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { errorName: 'DeviceAlreadyExists' } });
    expect(registry.get('race')?.primaryKey).toBe(
      (first as PromiseFulfilledResult<{ primaryKey: string }>).value.primaryKey,
    );
    await expect(registry.create('race')).rejects.toMatchObject({ errorName: 'DeviceAlreadyExists' });
  });

  it('updates with If-Match, refusing a stale etag with 412', async () => {
    const { registry } = await setup();
    const created = await registry.create('d1');
    const updated = await registry.update('d1', { status: 'disabled' }, `"${created.etag}"`);
    expect(updated.etag).not.toBe(created.etag);
    await expect(registry.update('d1', { status: 'enabled' }, created.etag)).rejects.toMatchObject({
      status: 412,
    });
    await expect(registry.update('d1', { status: 'enabled' }, '*')).resolves.toMatchObject({
      status: 'enabled',
    });
  });

  it('refuses keys that are not base64 of 16 to 64 bytes', async () => {
    const { registry } = await setup();
    await expect(registry.create('d1', { primaryKey: 'short' })).rejects.toMatchObject({ status: 400 });
    await expect(
      registry.create('d2', { primaryKey: Buffer.alloc(65).toString('base64') }),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it('removes the twin with the device', async () => {
    const { registry, twins } = await setup();
    await registry.create('d1');
    await registry.remove('d1');
    expect(registry.get('d1')).toBeUndefined();
    expect(twins.get('d1')).toBeUndefined();
    await expect(registry.remove('d1')).rejects.toMatchObject({ errorName: 'DeviceNotFound' });
  });

  it('merges reported patches and maps twin rule violations to 400', async () => {
    const { registry, twins } = await setup();
    await registry.create('d1');
    const twin = await twins.patchReported('d1', { a: { b: 1 } });
    expect(twin.reported.values).toEqual({ a: { b: 1 } });
    await expect(twins.patchReported('d1', { 'a.b': 1 })).rejects.toMatchObject({ status: 400 });
    await expect(twins.patchReported('d1', 'not an object')).rejects.toMatchObject({ status: 400 });
    await expect(twins.patchReported('nobody', {})).rejects.toMatchObject({ errorName: 'DeviceNotFound' });
  });

  it('announces desired changes: patches as sent, replacements with nulls for removed keys', async () => {
    const { registry, twins, desired } = await setup();
    await registry.create('d1');
    await twins.patchFromService('d1', { properties: { desired: { a: 1, b: 2 } } }, '*');
    await twins.replaceFromService('d1', { properties: { desired: { c: 3 } } }, '*');
    await twins.patchFromService('d1', { tags: { t: 1 } }, '*');
    expect(desired).toEqual([
      ['d1', { a: 1, b: 2 }, 2],
      ['d1', { c: 3, a: null, b: null }, 3],
    ]);
  });

  it('refuses a stale twin etag with 412 and changes nothing', async () => {
    const { registry, twins } = await setup();
    await registry.create('d1');
    const before = twins.get('d1');
    await twins.patchFromService('d1', { tags: { a: 1 } }, before?.etag ?? '');
    await expect(twins.patchFromService('d1', { tags: { a: 2 } }, before?.etag ?? '')).rejects.toMatchObject({
      status: 412,
    });
    expect(twins.get('d1')?.tags).toEqual({ a: 1 });
  });
});

describe('ModuleRegistry', () => {
  async function withModules() {
    const fixture = await setup();
    const modules = new ModuleRegistry(
      fixture.store,
      fixture.registry,
      {
        creating: (module) => fixture.twins.create(module.deviceId, module.moduleId),
        removed: async () => undefined,
        updated: () => undefined,
      },
      () => NOW,
    );
    await fixture.registry.create('d1');
    return { ...fixture, modules };
  }

  it('refuses user module ids starting with "$" (IoT Hub: 400 ArgumentInvalid), allows "$" inside', async () => {
    const { modules } = await withModules();
    for (const moduleId of ['$edgeAgent', '$edgeHub', '$mine']) {
      await expect(modules.create('d1', moduleId)).rejects.toMatchObject({
        errorName: 'ArgumentInvalid',
        code: 400004,
      });
    }
    await expect(modules.create('d1', 'mine$')).resolves.toMatchObject({ moduleId: 'mine$' });
  });

  it('lets the hub register the Edge system modules once', async () => {
    const { modules } = await withModules();
    await modules.createSystemModule('d1', '$edgeAgent');
    const first = modules.require('d1', '$edgeAgent');
    await modules.createSystemModule('d1', '$edgeAgent');
    expect(modules.require('d1', '$edgeAgent')).toEqual(first);
  });

  it('refuses a second create of a module still being written (409301); a missing one is 404010', async () => {
    const { modules } = await withModules();
    const creating = modules.create('d1', 'm');
    const second = modules.create('d1', 'm');
    await expect(second).rejects.toMatchObject({ errorName: 'ModuleAlreadyExistsOnDevice', code: 409301 });
    await creating;
    expect(modules.listOn('d1').map((m) => m.moduleId)).toEqual(['m']);
    expect(() => modules.require('d1', 'x')).toThrow(expect.objectContaining({ code: 404010 }));
  });
});

describe('removing an IoT Edge parent', () => {
  it('frees its children before it goes, and takes no new child meanwhile', async () => {
    const disk = heldDisk(new MemoryBackend());
    const store = await openHubState(disk.backend);
    const lifecycle = {
      creating: async () => undefined,
      created: async () => undefined,
      removed: async () => undefined,
      updated: () => undefined,
    };
    const registry = new DeviceRegistry(store, lifecycle, () => NOW);
    const scope = (await registry.create('p', { iotEdge: true })).deviceScope as string;
    await registry.create('leaf', { deviceScope: scope });
    const held = disk.hold(writesTo('devices'));
    const removed = registry.remove('p');
    await held;
    // The child's write is held: the parent is still there (a crash now leaves it, childless) ...
    expect(registry.get('p')).toBeDefined();
    expect(registry.get('leaf')?.deviceScope).toBe(scope);
    // ... and no device can become its child any more.
    await expect(registry.create('late', { deviceScope: scope })).rejects.toMatchObject({
      errorName: 'ArgumentInvalid',
    });
    disk.release();
    await removed;
    expect(registry.get('p')).toBeUndefined();
    expect(registry.get('leaf')).not.toHaveProperty('deviceScope');
    expect(registry.get('leaf')).not.toHaveProperty('parentScopes');
  });
});
