import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { attachRebootHandler, type RebootHandler } from '@iothub-reboot/device-reboot-handler';
import { startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import type { Client, ModuleClient } from 'azure-iot-device';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser';

// The web view in a real Chromium against a running hub with real SDK devices (MQTT over TLS).
// VIEW_SCREENSHOTS=1 also writes the README's screenshots (packages/local-hub/docs/).
const SCREENSHOTS = process.env.VIEW_SCREENSHOTS === '1';
const SHOTS_DIR = join(__dirname, '../../../../packages/local-hub/docs');

describe('web view in Chromium', () => {
  let t: TestHub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const handlers: RebootHandler[] = [];
  const reboots: string[] = [];

  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    await mkdir(SHOTS_DIR, { recursive: true });
    await page.screenshot({ path: join(SHOTS_DIR, `view-${name}.png`), fullPage: true });
  };

  /** A connected device running this project's reboot handler (the reboot itself is simulated). */
  const rebootableDevice = async (deviceId: string): Promise<Client> => {
    const device = await t.connectDevice(deviceId);
    handlers.push(
      attachRebootHandler(device, {
        reboot: async () => {
          reboots.push(deviceId);
        },
      }),
    );
    await t.hub.whenDeviceSubscribedToMethods(deviceId);
    return device;
  };

  beforeAll(async () => {
    t = await startTestHub({ view: { port: 0 } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    const opened = await page.goto(t.hub.viewUrl as string);
    expect(opened?.url()).toMatch(/\/$/); // redirected: the token left the address bar
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(handlers.map((h) => h.detach()));
    await browser?.close();
    await t?.close();
  });

  it('updates the device list when a device connects', async () => {
    await t.hub.createDevice('b-live');
    await page.goto(new URL('/#/devices', t.hub.viewUrl).href);
    const state = page.locator('tr[data-device="b-live"] [data-testid="connection"]');
    await state.getByText('Disconnected', { exact: true }).waitFor();
    await t.connectDevice('b-live');
    await state.getByText('Connected', { exact: true }).waitFor();
  });

  it('adds, disables, reveals the connection string of, and removes a device', async () => {
    await page.goto(new URL('/#/devices', t.hub.viewUrl).href);
    await page.getByLabel('New device id').fill('b-crud');
    // The page is shared and the form keeps its choice: the X.509 test may have run first (random order).
    await page.getByLabel('Authentication').selectOption('sas');
    await page.getByRole('button', { name: 'Add device' }).click();
    const row = page.locator('tr[data-device="b-crud"]');
    await row.waitFor();
    const { primaryKey } =
      (await t.service.registry.get('b-crud')).responseBody.authentication?.symmetricKey ?? {};
    expect(primaryKey).toEqual(expect.any(String));
    expect(await page.content()).not.toContain(primaryKey);
    await row.getByRole('button', { name: /Connection string/ }).click();
    await row.locator('code').getByText(t.hub.deviceConnectionString('b-crud'), { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Hide' }).click();
    expect(await page.content()).not.toContain(primaryKey);
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    expect((await t.service.registry.get('b-crud')).responseBody.status).toBe('disabled');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.waitFor({ state: 'detached' });
    expect(t.hub.listDevices().map((d) => d.deviceId)).not.toContain('b-crud');
  });

  it("lists a device's modules live, and edits, calls and reboots a module running attachRebootHandler", async () => {
    await t.hub.createDevice('b-edge');
    await t.hub.createModule('b-edge', 'rebooter');
    await page.goto(new URL('/#/devices', t.hub.viewUrl).href);
    const row = page.locator('tr[data-module="b-edge/rebooter"]');
    await row.getByTestId('connection').getByText('Disconnected', { exact: true }).waitFor();
    expect(await row.getByTestId('auth').textContent()).toBe('sas');
    // A real ModuleClient (its own keys, client id b-edge/rebooter) running this project's reboot handler.
    const module: ModuleClient = await t.connectModule('b-edge', 'rebooter');
    handlers.push(attachRebootHandler(module, { reboot: async () => void reboots.push('b-edge/rebooter') }));
    module.onMethod('getVersion', (_request, response) => void response!.send(200, { version: '2.0.1' }));
    const moduleTwin = await module.getTwin();
    const desired = new Promise<unknown>((resolve) =>
      moduleTwin.on('properties.desired', (delta: { level?: number }) => {
        if (delta.level === 3) resolve(delta);
      }),
    );
    await t.hub.whenDeviceSubscribedToMethods('b-edge/rebooter');
    await row.getByTestId('connection').getByText('Connected', { exact: true }).waitFor();
    await row.getByText('subscribed', { exact: true }).waitFor();
    // The module is connected, its device is not.
    expect(await page.locator('tr[data-device="b-edge"]').getByTestId('connection').textContent()).toBe(
      'Disconnected',
    );

    await row.getByRole('link', { name: /rebooter/ }).click();
    await page.getByRole('heading', { name: 'b-edge / module rebooter' }).waitFor();
    await page.getByLabel('desired', { exact: true }).fill('{ "level": 3 }');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(desired).resolves.toMatchObject({ level: 3 });
    await page.getByTestId('edit-result').getByText('saved').waitFor();

    await page.getByLabel('name').fill('getVersion');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await page
      .locator('form.card pre.json')
      .getByText(/^status 200 in \d+ ms/)
      .waitFor();
    expect(await page.locator('form.card pre.json').textContent()).toContain('"version": "2.0.1"');

    await page.getByRole('button', { name: 'Reboot' }).click();
    const confirmation = page.getByTestId('reboot-confirmation');
    await confirmation.getByText(/^Confirmed: the twin reports this request \(reboot-/).waitFor();
    expect(reboots).toContain('b-edge/rebooter');
    // Confirmed by the module's own twin; the device's twin knows nothing of it.
    const { responseBody: twin } = await t.service.registry.getModuleTwin('b-edge', 'rebooter');
    expect(twin.properties.desired.level).toBe(3);
    expect(await confirmation.textContent()).toContain(
      twin.properties.reported.iothubDM.reboot.correlationId,
    );
    const { responseBody: deviceTwin } = await t.service.registry.getTwin('b-edge');
    expect(deviceTwin.properties.reported.iothubDM).toBeUndefined();
    await shot('module');
  });

  it('adds a module from the page, connects a ModuleClient with its copied connection string, and removes it', async () => {
    await t.hub.createDevice('b-mods');
    await page.goto(new URL('/#/devices', t.hub.viewUrl).href);
    const status = page.getByRole('status');
    await page.getByLabel('Device of the new module').selectOption('b-mods');
    // The hub's own answers, as the module REST route gives them: a "$" id is IoT Hub's (400).
    await page.getByLabel('New module id').fill('$bad');
    await page.getByRole('button', { name: 'Add module' }).click();
    await status.getByText(/^400 ArgumentInvalid: Module ids starting with "\$" are reserved/).waitFor();
    await page.getByLabel('New module id').fill('m-live');
    await page.getByRole('button', { name: 'Add module' }).click();
    await status.getByText('added module b-mods/m-live').waitFor();
    const row = page.locator('tr[data-module="b-mods/m-live"]');
    await row.getByTestId('connection').getByText('Disconnected', { exact: true }).waitFor();
    await page.getByLabel('Device of the new module').selectOption('b-mods');
    await page.getByLabel('New module id').fill('m-live');
    await page.getByRole('button', { name: 'Add module' }).click();
    await status.getByText(/^409 ModuleAlreadyExistsOnDevice: /).waitFor();
    const { responseBody: identity } = await t.service.registry.getModule('b-mods', 'm-live');
    const key = identity.authentication?.symmetricKey?.primaryKey as string;
    expect(key).toEqual(expect.any(String));
    expect(await page.content()).not.toContain(key);

    // Masked until asked for; then copied to the clipboard, as the user would.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(t.hub.viewUrl as string).origin,
    });
    await row.getByRole('button', { name: /Connection string/ }).click();
    await row
      .locator('code')
      .getByText(/;ModuleId=m-live;SharedAccessKey=/)
      .waitFor();
    await row.getByRole('button', { name: 'Copy' }).click();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).toBe(t.hub.moduleConnectionString('b-mods', 'm-live'));
    await row.getByRole('button', { name: 'Hide' }).click();
    expect(await page.content()).not.toContain(key);

    const module = await t.moduleClient(copied);
    await module.open();
    module.onMethod('ping', (_request, response) => void response!.send(200, null));
    await t.hub.whenDeviceSubscribedToMethods('b-mods/m-live');
    await row.getByTestId('connection').getByText('Connected', { exact: true }).waitFor();
    await row.getByText('subscribed', { exact: true }).waitFor();
    // Closed before its identity goes: the SDK would retry the refused reconnect until closed.
    await module.close();
    await row.getByTestId('connection').getByText('Disconnected', { exact: true }).waitFor();

    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.accept();
      }),
    );
    await row.getByRole('button', { name: 'Remove' }).click();
    expect(await asked).toBe('Remove module m-live of b-mods?');
    await row.waitFor({ state: 'detached' });
    await status.getByText('removed module b-mods/m-live').waitFor();
    const gone = await t.service.registry.getModule('b-mods', 'm-live').catch((e: unknown) => e);
    expect((gone as { responseBody: string }).responseBody).toContain('ErrorCode:ModuleNotFound');
    // The device stays, with no module left.
    await page.locator('tr[data-device="b-mods"]').waitFor();
  });

  it('shows each auth type, and adds and removes X.509 devices', async () => {
    // Its own key-based device: tests run in a random order in CI, so none may lean on another's devices.
    await t.hub.createDevice('b-sas');
    await page.goto(new URL('/#/devices', t.hub.viewUrl).href);
    const thumbprint = 'C0FFEE'.repeat(10).slice(0, 40);
    await page.getByLabel('New device id').fill('b-x509-self');
    await page.getByLabel('Authentication').selectOption('selfSigned');
    await page.getByLabel('Certificate thumbprint').fill(thumbprint);
    await page.getByRole('button', { name: 'Add device' }).click();
    await page.getByRole('status').getByText('added b-x509-self').waitFor();
    await page.getByLabel('New device id').fill('b-x509-ca');
    await page.getByLabel('Authentication').selectOption('certificateAuthority');
    await page.getByRole('button', { name: 'Add device' }).click();
    const auth = (id: string) => page.locator(`tr[data-device="${id}"]`).getByTestId('auth');
    await auth('b-x509-ca').getByText('certificateAuthority', { exact: true }).waitFor();
    expect(await auth('b-x509-self').textContent()).toBe('selfSigned');
    expect(await auth('b-sas').textContent()).toBe('sas');
    const { responseBody: self } = await t.service.registry.get('b-x509-self');
    expect(self.authentication).toMatchObject({
      type: 'selfSigned',
      x509Thumbprint: { primaryThumbprint: thumbprint },
    });
    // An X.509 device's connection string names no key: x509=true, the certificate is the credential.
    const caRow = page.locator('tr[data-device="b-x509-ca"]');
    await caRow.getByRole('button', { name: /Connection string/ }).click();
    await caRow
      .locator('code')
      .getByText(/;DeviceId=b-x509-ca;x509=true/)
      .waitFor();
    await shot('devices');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('tr[data-device="b-x509-self"]').getByRole('button', { name: 'Remove' }).click();
    await page.locator('tr[data-device="b-x509-self"]').waitFor({ state: 'detached' });
    expect(t.hub.listDevices().map((d) => d.deviceId)).not.toContain('b-x509-self');
  });

  it('invokes a direct method and shows its status, payload and latency', async () => {
    const device = await t.connectDevice('b-method');
    device.onDeviceMethod('getFirmware', (request, response) => {
      void response.send(201, { firmware: '1.2.3', asked: request.payload });
    });
    await t.hub.whenDeviceSubscribedToMethods('b-method');
    await page.goto(new URL('/#/devices/b-method', t.hub.viewUrl).href);
    await page.getByLabel('name').fill('getFirmware');
    await page.getByLabel('payload (JSON)').fill('{ "detail": true }');
    await page.getByRole('button', { name: 'Invoke' }).click();
    const result = page.locator('form.card pre.json');
    await result.getByText(/^status 201 in \d+ ms/).waitFor();
    expect(JSON.parse((await result.textContent())?.replace(/^status 201 in \d+ ms\n/, '') ?? '')).toEqual({
      firmware: '1.2.3',
      asked: { detail: true },
    });
  });

  it('sends edited desired properties to the device', async () => {
    const device = await t.connectDevice('b-desired');
    const twin = await device.getTwin();
    const received = new Promise<unknown>((resolve) =>
      twin.on('properties.desired', (delta: { mode?: string }) => {
        if (delta.mode === 'eco') resolve(delta);
      }),
    );
    await page.goto(new URL('/#/devices/b-desired', t.hub.viewUrl).href);
    const desired = page.getByLabel('desired', { exact: true });
    await desired.fill('{ "mode": "eco" }');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(received).resolves.toMatchObject({ mode: 'eco' });
    await page.getByTestId('edit-result').getByText('saved').waitFor();
  });

  it('shows an edit conflict instead of overwriting a twin that changed meanwhile', async () => {
    await t.hub.createDevice('b-conflict');
    await page.goto(new URL('/#/devices/b-conflict', t.hub.viewUrl).href);
    await page.getByLabel('desired', { exact: true }).waitFor();
    // The user starts editing; meanwhile the service changes the twin.
    await page.getByLabel('desired', { exact: true }).fill('{ "owner": "page" }');
    await t.service.registry.updateTwin('b-conflict', { properties: { desired: { owner: 'service' } } }, '*');
    await page.getByText('desired $version 2').waitFor(); // the page has seen the new twin
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByTestId('edit-result')
      .getByText(/Conflict/)
      .waitFor();
    const { responseBody } = await t.service.registry.getTwin('b-conflict');
    expect(responseBody.properties.desired.owner).toBe('service');
  });

  it('reboots a device running device-reboot-handler and shows the twin confirming it', async () => {
    await rebootableDevice('b-reboot');
    await page.goto(new URL('/#/devices/b-reboot', t.hub.viewUrl).href);
    // A fresh page per device: nothing typed on another device's page (a conflict, say) carries over.
    await page.getByLabel('desired', { exact: true }).waitFor();
    expect(await page.getByLabel('desired', { exact: true }).inputValue()).toBe('{}');
    await page.getByRole('button', { name: 'Reboot' }).click();
    const confirmation = page.getByTestId('reboot-confirmation');
    await confirmation.getByText(/^Confirmed: the twin reports this request \(reboot-/).waitFor();
    await page.getByTestId('reboot-status').getByText('rebooted', { exact: true }).waitFor();
    expect(reboots).toContain('b-reboot');
    const { responseBody } = await t.service.registry.getTwin('b-reboot');
    expect(await confirmation.textContent()).toContain(
      responseBody.properties.reported.iothubDM.reboot.correlationId,
    );
    await shot('device');
  });

  it('runs a fleet reboot job whose progress bar reaches 100 %', async () => {
    const fleet = ['b-fleet-1', 'b-fleet-2', 'b-fleet-3'];
    for (const id of fleet) {
      await rebootableDevice(id);
      await t.service.registry.updateTwin(id, { tags: { site: 'fleet' } }, '*');
    }
    await page.goto(new URL('/#/jobs', t.hub.viewUrl).href);
    await page.getByLabel('Query condition').fill("tags.site = 'fleet'");
    await page.getByRole('button', { name: 'Reboot matching devices' }).click();
    const created = await page
      .getByRole('status')
      .getByText(/^created view-reboot-/)
      .textContent();
    const jobId = (created ?? '').replace('created ', '');
    const job = page.locator(`[data-job="${jobId}"]`);
    await job.locator('[role="progressbar"][aria-valuenow="100"]').waitFor();
    await job.getByText('completed', { exact: true }).waitFor();
    expect(await job.getByTestId('progress-text').textContent()).toMatch(/^100% · 3 succeeded · 0 failed/);
    expect(reboots).toEqual(expect.arrayContaining(fleet));
    await job.getByRole('button', { name: 'Devices' }).click();
    await job.locator('tbody tr').nth(2).waitFor();
    await shot('jobs');
  });

  it('cancels a running job from its Cancel button', async () => {
    const device = await t.connectDevice('b-stuck');
    // Never answers: the job stays running on this device until it is cancelled.
    const called = new Promise<void>((resolve) => device.onDeviceMethod('rebootDevice', () => resolve()));
    await t.hub.whenDeviceSubscribedToMethods('b-stuck');
    await t.service.registry.updateTwin('b-stuck', { tags: { site: 'stuck' } }, '*');
    await page.goto(new URL('/#/jobs', t.hub.viewUrl).href);
    await page.getByLabel('Query condition').fill("tags.site = 'stuck'");
    await page.getByRole('button', { name: 'Reboot matching devices' }).click();
    const created = await page
      .getByRole('status')
      .getByText(/^created view-reboot-/)
      .textContent();
    const jobId = (created ?? '').replace('created ', '');
    const job = page.locator(`[data-job="${jobId}"]`);
    await called;
    await job.locator('.pill').getByText('running', { exact: true }).waitFor();
    await job.getByRole('button', { name: 'Cancel' }).click();
    await job.locator('.pill').getByText('cancelled', { exact: true }).waitFor();
    expect(await job.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    const { jobStatus } = await t.service.jobClient.getJob(jobId);
    expect(jobStatus.status).toBe('cancelled');
  });

  it('links the licences of the bundled packages from every page', async () => {
    await page.goto(new URL('/#/query', t.hub.viewUrl).href);
    await page.getByRole('link', { name: 'Licences of the bundled packages' }).click();
    await page.getByText(/Copyright \(c\) 2015-present Jason Miller/).waitFor();
    expect(page.url()).toMatch(/\/assets\/licenses\.txt$/);
  });

  it('pages query results and points at a syntax error', async () => {
    for (const id of ['q-1', 'q-2', 'q-3', 'q-4', 'q-5']) await t.hub.createDevice(id);
    await page.goto(new URL('/#/query', t.hub.viewUrl).href);
    await page
      .getByLabel('Query')
      .fill("SELECT deviceId, status FROM devices WHERE STARTSWITH(deviceId, 'q-')");
    await page.getByLabel('page size').fill('2');
    await page.getByRole('button', { name: 'Run' }).click();
    const info = page.getByTestId('page-info');
    await info.getByText('page 1 · 2 rows · more pages').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await info.getByText('page 2 · 2 rows · more pages').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await info.getByText('page 3 · 1 rows · last page').waitFor();
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    const rows = await page.locator('tbody tr td:first-child').allTextContents();
    expect(rows).toEqual(['q-5']);
    await shot('query');
    await page.getByLabel('Query').fill('SELECT * FROM devices WHERE status = = 1');
    await page.getByRole('button', { name: 'Run' }).click();
    const caret = await page.getByTestId('error-position').textContent();
    // The caret stands under the second "=", where the parser gave up.
    expect(caret?.split('\n')[1]).toBe(`${' '.repeat('SELECT * FROM devices WHERE status = '.length)}^`);
  });

  it('shows live activity, with a pause', async () => {
    await page.goto(new URL('/#/activity', t.hub.viewUrl).href);
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await t.connectDevice('b-activity');
    await page.locator('.event').getByText('b-activity connected').waitFor();
    // Its creation already showed one twin change; the one made while paused must not be shown.
    const twinChanges = page.locator('.event').getByText(/twin of b-activity changed/);
    await page.getByRole('button', { name: 'Pause' }).click();
    const shownBefore = await twinChanges.count();
    await t.service.registry.updateTwin('b-activity', { tags: { paused: true } }, '*');
    await page.getByText(/1 missed while paused/).waitFor();
    expect(await twinChanges.count()).toBe(shownBefore);
    await page.getByRole('button', { name: 'Resume' }).click();
    await shot('activity');
  });

  it('fits a narrow window and has a dark theme', async () => {
    const narrow = await context.newPage();
    try {
      await narrow.setViewportSize({ width: 380, height: 760 });
      await narrow.emulateMedia({ colorScheme: 'dark' });
      await rebootableDevice('b-narrow');
      await narrow.goto(new URL('/#/devices/b-narrow', t.hub.viewUrl).href);
      await narrow.getByRole('button', { name: 'Reboot' }).waitFor();
      const fits = await narrow.evaluate<boolean>(
        'document.documentElement.scrollWidth <= window.innerWidth',
      );
      expect(fits).toBe(true);
      const background = await narrow.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe('rgb(21, 23, 26)');
      if (SCREENSHOTS)
        await narrow.screenshot({ path: join(SHOTS_DIR, 'view-narrow-dark.png'), fullPage: true });
    } finally {
      await narrow.close();
    }
  });
});
