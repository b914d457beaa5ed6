import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestHub, type TestHub } from '@iothub-reboot/local-hub/testing';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';

// The web view's refusals as a browser meets them: no token, a wrong token, a rebound host name, a
// cross-site page posting to it, a request without the CSRF token, and inline script under the CSP.
describe('web view refusals in Chromium', () => {
  let t: TestHub;
  let browser: Browser;
  let attacker: Server;
  let viewPort: number;
  let attackerOrigin: string;

  beforeAll(async () => {
    t = await startTestHub({ view: { port: 0 } });
    viewPort = Number(new URL(t.hub.viewUrl as string).port);
    // A page on another origin (same loopback host, another port) that tries to act on the view.
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="POST" action="http://127.0.0.1:${viewPort}/api/devices">
        <input name="deviceId" value="csrf-form"></form>
        <script>
          fetch('http://127.0.0.1:${viewPort}/api/devices', { method: 'POST', mode: 'no-cors', credentials: 'include',
            headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ deviceId: 'csrf-fetch' }) })
            .finally(() => document.getElementById('f').submit());
        </script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    // rebound.test resolves to the hub's loopback address, as a DNS rebinding attack would make it.
    browser = await launchChromium(['--host-resolver-rules=MAP rebound.test 127.0.0.1']);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await t?.close();
  });

  const origin = () => `http://127.0.0.1:${viewPort}`;

  it('shows nothing without the token, or with a wrong one', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const bare = await page.goto(`${origin()}/`);
      expect(bare?.status()).toBe(401);
      expect(await page.locator('#app').count()).toBe(0);
      const wrong = await page.goto(`${origin()}/?token=guessed`);
      expect(wrong?.status()).toBe(401);
      expect(await context.cookies()).toEqual([]);
      const bundle = await page.goto(`${origin()}/assets/app.js`);
      expect(bundle?.status()).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('sets the session as an HttpOnly, SameSite=Strict cookie the page cannot read', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(t.hub.viewUrl as string);
      expect(page.url()).toBe(`${origin()}/`);
      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
      expect(await page.evaluate<string>('document.cookie')).toBe('');
    } finally {
      await context.close();
    }
  });

  it('refuses a rebound host name even with a valid token', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const token = new URL(t.hub.viewUrl as string).search;
      const answer = await page.goto(`http://rebound.test:${viewPort}/${token}`);
      expect(answer?.status()).toBe(403);
      expect(await context.cookies()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses a cross-origin page posting to it, and a same-page request without the CSRF token', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(t.hub.viewUrl as string); // logged in: the cookie is there to be abused
      const attack = await context.newPage();
      const refused = attack.waitForResponse(
        (r) => r.url().endsWith('/api/devices') && r.request().method() === 'POST',
      );
      const formRefused = attack.waitForResponse(
        (r) => r.url().endsWith('/api/devices') && r.request().resourceType() === 'document',
      );
      await attack.goto(attackerOrigin);
      expect([(await refused).status(), (await formRefused).status()]).toEqual([403, 403]);
      const direct = await page.evaluate<number>(
        "fetch('/api/devices', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deviceId: 'csrf-direct' }) }).then((r) => r.status)",
      );
      expect(direct).toBe(403);
      expect(t.hub.listDevices().map((d) => d.deviceId)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('runs no inline script (strict CSP)', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/.test(message.text())) violations.push(message.text());
      });
      await page.goto(t.hub.viewUrl as string);
      await page.getByRole('heading', { name: 'Devices' }).waitFor();
      const ran = await page.evaluate<unknown>(
        "(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); return window.__inline; })()",
      );
      expect(ran).toBeUndefined();
      expect(violations.length).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });
});
