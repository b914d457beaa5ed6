import { rawRequest } from '../test-support/rest-client';
import { startTestHub, type TestHub } from '../testing';

// Registry statistics through azure-iothub, and IoT Hub routes the local hub does not implement: those
// must say so (501 NotImplemented naming the feature) instead of a 404 that reads as "device not found".
describe('statistics and the routes the local hub does not implement', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('counts devices by status (Registry.getRegistryStatistics) and connected devices', async () => {
    // A hub of its own: the counts must not depend on what the other tests created.
    const own = await startTestHub();
    try {
      await own.hub.createDevice('stats-on');
      await own.hub.createDevice('stats-off', { status: 'disabled' });
      await own.connectDevice('stats-connected');
      const { responseBody } = await own.service.registry.getRegistryStatistics();
      expect(responseBody).toEqual({ totalDeviceCount: 3, enabledDeviceCount: 2, disabledDeviceCount: 1 });
      const service = await rawRequest(own.hub, 'GET', '/statistics/service?api-version=2021-04-12');
      expect(service).toMatchObject({ status: 200, json: { connectedDeviceCount: 1 } });
    } finally {
      await own.close();
    }
  });

  it('answers 501 NotImplemented, naming the feature, to configuration calls of the SDK', async () => {
    // (Module calls were the example here until modules were implemented: see src/e2e/modules.test.ts.)
    const err = await t.service.registry.getConfigurations().catch((e: unknown) => e);
    expect(err).toMatchObject({ response: { statusCode: 501 } });
    expect((err as { responseBody: string }).responseBody).toMatch(
      /ErrorCode:NotImplemented;Configurations is not supported by the local hub/,
    );
  });

  it.each([
    ['GET', '/configurations/c1', 'Configurations'],
    ['POST', '/jobs/create', 'Import and export jobs'],
    ['GET', '/digitaltwins/d1', 'Digital twins'],
    ['POST', '/devices/d1/files', 'File upload'],
  ])('answers %s %s with 501 (%s)', async (method, path, feature) => {
    const response = await rawRequest(t.hub, method, `${path}?api-version=2021-04-12`, { body: '{}' });
    expect(response.status).toBe(501);
    expect(response.headers['iothub-errorcode']).toBe('NotImplemented');
    expect(response.text).toContain(`${feature} is not supported by the local hub`);
  });

  it('still answers 404 to a path IoT Hub does not have', async () => {
    const response = await rawRequest(t.hub, 'GET', '/no-such-thing?api-version=2021-04-12');
    expect(response.status).toBe(404);
  });
});
