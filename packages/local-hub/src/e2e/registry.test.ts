import { startTestHub, type TestHub } from '../test-support/harness';

describe('identity registry through azure-iothub Registry', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('creates, reads, lists, updates and deletes devices', async () => {
    const { responseBody: created } = await t.service.registry.create({ deviceId: 'crud-1' });
    expect(created.deviceId).toBe('crud-1');
    expect(created.status).toBe('enabled');
    expect(created.authentication?.symmetricKey?.primaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(created.authentication?.symmetricKey?.secondaryKey).not.toBe(
      created.authentication?.symmetricKey?.primaryKey,
    );

    const { responseBody: read } = await t.service.registry.get('crud-1');
    expect(read.etag).toBe(created.etag);
    expect(read.connectionState).toBe('Disconnected');

    const { responseBody: updated } = await t.service.registry.update({
      deviceId: 'crud-1',
      status: 'disabled',
    });
    expect(updated.status).toBe('disabled');
    expect(updated.etag).not.toBe(created.etag);
    expect(updated.authentication?.symmetricKey?.primaryKey).toBe(
      created.authentication?.symmetricKey?.primaryKey,
    );

    const { responseBody: list } = await t.service.registry.list();
    expect(list.map((d) => d.deviceId)).toContain('crud-1');

    await t.service.registry.delete('crud-1');
    await expect(t.service.registry.get('crud-1')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('keeps caller-supplied keys and refuses duplicates and bad ids', async () => {
    const primaryKey = Buffer.alloc(32, 1).toString('base64');
    const secondaryKey = Buffer.alloc(32, 2).toString('base64');
    const { responseBody } = await t.service.registry.create({
      deviceId: 'keys-1',
      authentication: { symmetricKey: { primaryKey, secondaryKey } },
    });
    expect(responseBody.authentication?.symmetricKey).toEqual({ primaryKey, secondaryKey });
    await expect(t.service.registry.create({ deviceId: 'keys-1' })).rejects.toMatchObject({
      name: 'DeviceAlreadyExistsError',
    });
    await expect(t.service.registry.create({ deviceId: 'bad/id' })).rejects.toMatchObject({
      name: 'ArgumentError',
    });
    await expect(t.service.registry.create({ deviceId: 'x'.repeat(129) })).rejects.toMatchObject({
      name: 'ArgumentError',
    });
    await expect(t.service.registry.create({ deviceId: "ok-:.+%_#*?!(),=@;$'" })).resolves.toBeDefined();
  });

  it('answers 404 DeviceNotFound for updates and deletes of unknown devices', async () => {
    await expect(t.service.registry.update({ deviceId: 'ghost', status: 'enabled' })).rejects.toMatchObject({
      name: 'DeviceNotFoundError',
    });
    await expect(t.service.registry.delete('ghost')).rejects.toMatchObject({ name: 'DeviceNotFoundError' });
  });

  it('enforces policy permissions: registryRead reads but cannot write', async () => {
    const { createServiceClients } = await import('@iothub-reboot/service-connection');
    const reader = createServiceClients(t.hub.serviceConnectionString('registryRead'), { ca: t.hub.caPem });
    try {
      await t.hub.createDevice('perm-1');
      await expect(reader.registry.get('perm-1')).resolves.toBeDefined();
      await expect(reader.registry.create({ deviceId: 'perm-2' })).rejects.toMatchObject({
        name: 'UnauthorizedError',
      });
      await expect(
        reader.client.invokeDeviceMethod('perm-1', { methodName: 'reboot', payload: null }),
      ).rejects.toMatchObject({ name: 'UnauthorizedError' });
    } finally {
      await reader.close();
    }
  });
});
