/**
 * The reference web client in a real browser (Debian's Chromium through
 * playwright-core), against a real server: two people register, find each
 * other and chat both ways (ticks, typing, an image, a reaction, an edit), one
 * reloads and finds the history, goes offline behind a TCP proxy while the
 * other sends five messages and sees all five once and in order when back;
 * an admin deactivates one of them from the admin screen and their page
 * signs out. axe-core checks the main screens, and no page breaks its CSP.
 *
 * `UPDATE_SCREENSHOT=1 npx vitest run src/web` rewrites docs/web-client.png.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, NO_CHROMIUM_MESSAGE, TcpProxy } from '../test/browser.js';
import { as, createUser, promoteToAdmin } from '../test/factories.js';
import { CreatePrivateChatDocument, SendMessageDocument } from '../test/generated/graphql.js';
import { expectNoErrors, gql, startTestServer, type TestServer } from '../test/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const PASSWORD = 'correct horse battery';
/** How long a step may take to show; generous, because CI machines run other test files beside this one. */
const WAIT = { timeout: 30_000 };

if (!hasChromium) {
  // Said once, plainly, in the run's output; the suite shows as skipped.
  console.warn(NO_CHROMIUM_MESSAGE);
}

describe.skipIf(!hasChromium)('web client in Chromium', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const proxies: TcpProxy[] = [];
  const contexts: BrowserContext[] = [];
  /** CSP violations and page errors, from every page: the test ends with none. */
  const problems: string[] = [];
  let alice: Page;
  let bob: Page;
  let bobProxy: TcpProxy;
  const suffix = Date.now().toString(36).slice(-5);
  const names = { alice: `alice_${suffix}`, bob: `bob_${suffix}` };
  let axeSource: string;

  async function open(viewport: { width: number; height: number }, proxy: TcpProxy): Promise<Page> {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(proxy.url);
    return page;
  }

  async function register(page: Page, username: string, displayName: string): Promise<void> {
    await page.getByRole('button', { name: 'New here? Create an account' }).click();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
  }

  /** axe-core in the page (evaluated over CDP, which the page's CSP does not govern): serious and critical violations. */
  async function accessibilityProblems(page: Page): Promise<string[]> {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      // Runs in the page: its globals, typed here by hand (this file is compiled for Node).
      const page = globalThis as unknown as {
        axe: { run(context: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
        document: unknown;
      };
      const result = await page.axe.run(page.document);
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
    });
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(', ')}`);
  }

  const bubble = (page: Page, text: string) => page.locator('.messages li.message').filter({ hasText: text });

  beforeAll(async () => {
    const started = performance.now();
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
    // Typing lasts as in production (6 s), not the testkit's 300 ms: a person watches it here, not a timer.
    server = await startTestServer({}, { tuning: { typingTtlMs: 6000 } });
    browser = await launchChromium();
    bobProxy = await new TcpProxy(server.port).start();
    const aliceProxy = await new TcpProxy(server.port).start();
    proxies.push(aliceProxy, bobProxy);
    // Alice at desktop width, Bob at phone width: both layouts get used.
    [alice, bob] = await Promise.all([open({ width: 1200, height: 800 }, aliceProxy), open({ width: 390, height: 780 }, bobProxy)]);
    console.info(`server and browser up in ${Math.round(performance.now() - started)} ms`);
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    for (const proxy of proxies) await proxy.close();
    await server?.close();
  });

  it('serves the app with hashed, immutable assets under a strict CSP', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  it('the sign-in screen has labelled fields and no serious accessibility problems', async () => {
    await alice.getByLabel('Username').waitFor(WAIT);
    await expect(alice.getByLabel('Password').getAttribute('type')).resolves.toBe('password');
    expect(await accessibilityProblems(alice)).toEqual([]);
  });

  it('two people register, find each other and chat both ways; ticks go delivered, then read', async () => {
    await Promise.all([register(alice, names.alice, 'Alice'), register(bob, names.bob, 'Bob')]);

    await alice.getByRole('button', { name: 'New chat' }).click();
    await alice.getByLabel('Find people').fill(names.bob);
    await alice.getByRole('button', { name: `Message ${names.bob}` }).click();
    await alice.getByRole('heading', { name: 'Bob' }).waitFor(WAIT);
    await alice.getByLabel('Message', { exact: true }).fill('Hello Bob');
    await alice.keyboard.press('Enter');
    // Bob's app received it (the chat list shows it, unread) before he opened it: delivered.
    await bob.getByRole('button', { name: /Alice/ }).filter({ hasText: 'Hello Bob' }).waitFor(WAIT);
    await bob.locator('.badge', { hasText: '1 unread' }).waitFor(WAIT);
    await bubble(alice, 'Hello Bob').and(alice.locator('[data-status="DELIVERED"]')).waitFor(WAIT);

    await bob.getByRole('button', { name: /Alice/ }).click();
    await bubble(bob, 'Hello Bob').waitFor(WAIT);
    await bubble(alice, 'Hello Bob').and(alice.locator('[data-status="READ"]')).waitFor(WAIT);

    // Typing shows on the other side while Bob types, then his answer arrives.
    await bob.getByLabel('Message', { exact: true }).pressSequentially('Hi Ali', { delay: 30 });
    await alice.locator('.chat-title .status', { hasText: 'Bob typing…' }).waitFor(WAIT);
    await bob.getByLabel('Message', { exact: true }).pressSequentially('ce!');
    await bob.keyboard.press('Enter');
    await bubble(alice, 'Hi Alice!').waitFor(WAIT);
    await alice.locator('.chat-title .status', { hasText: 'Bob typing…' }).waitFor({ state: 'detached', ...WAIT });
  });

  it('an image uploaded by one is seen by the other', async () => {
    const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#2a7ab8' } })
      .png()
      .toBuffer();
    await alice.getByLabel('Attach a file').setInputFiles({ name: 'sky.png', mimeType: 'image/png', buffer: png });
    const image = bob.getByRole('img', { name: 'sky.png' });
    await image.waitFor(WAIT);
    // The thumbnail really loads (a signed /files URL through Bob's proxy, under the page's CSP).
    await expect.poll(() => image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0), WAIT).toBe(true);
    await alice.getByRole('img', { name: 'sky.png' }).waitFor(WAIT);
  });

  it('a reaction and an edit reach the other side', async () => {
    const message = bubble(bob, 'Hello Bob');
    await message.getByRole('button', { name: 'Message actions' }).click();
    await message.getByRole('button', { name: 'React ❤️' }).click();
    await bubble(alice, 'Hello Bob').getByRole('list', { name: 'Reactions' }).filter({ hasText: '❤️ 1' }).waitFor(WAIT);

    const mine = bubble(alice, 'Hello Bob');
    await mine.getByRole('button', { name: 'Message actions' }).click();
    await mine.getByRole('button', { name: 'Edit' }).click();
    const composer = alice.getByLabel('Message', { exact: true });
    await composer.fill('Hello Bob, how are you?');
    await composer.press('Enter');
    await bubble(bob, 'Hello Bob, how are you?').filter({ hasText: 'edited' }).waitFor(WAIT);
  });

  it('the chat screen has no serious accessibility problems, at desktop and phone width', async () => {
    expect(await accessibilityProblems(alice)).toEqual([]);
    expect(await accessibilityProblems(bob)).toEqual([]);
    if (process.env['UPDATE_SCREENSHOT'] === '1') {
      await alice.getByLabel('Message', { exact: true }).blur();
      await alice.screenshot({ path: path.join(root, 'docs/web-client.png') });
    }
  });

  it('a reload keeps the session and finds the history', async () => {
    await bob.reload();
    await bob.getByRole('button', { name: /Alice/ }).click();
    await bubble(bob, 'Hello Bob, how are you?').waitFor(WAIT);
    await bubble(bob, 'Hi Alice!').waitFor(WAIT);
    await bob.getByRole('img', { name: 'sky.png' }).waitFor(WAIT);
  });

  it('offline while five messages are sent: back online, all five appear once and in order', async () => {
    await bobProxy.cut();
    await bob.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor(WAIT);
    for (let i = 1; i <= 5; i += 1) {
      await alice.getByLabel('Message', { exact: true }).fill(`While you were away ${i}`);
      await alice.keyboard.press('Enter');
      await bubble(alice, `While you were away ${i}`).and(alice.locator('[data-status]:not([data-status="sending"])')).waitFor(WAIT);
    }
    await bobProxy.restore();
    await bob
      .getByRole('status')
      .filter({ hasText: 'Connection lost' })
      .waitFor({ state: 'detached', ...WAIT });
    await bubble(bob, 'While you were away 5').waitFor(WAIT);
    // Newest first in the DOM (the list is drawn bottom-up): reversed, they read 1…5, each once.
    const texts = await bob.locator('.messages li.message .text').allTextContents();
    const away = texts.filter((text) => text.startsWith('While you were away')).reverse();
    expect(away).toEqual([1, 2, 3, 4, 5].map((i) => `While you were away ${i}`));
  });

  it('a long history pages in as it is scrolled up, each message once', async () => {
    const carol = await createUser(server, { displayName: 'Carol' });
    const aliceRow = await server.database.prisma.user.findUniqueOrThrow({ where: { username: names.alice }, select: { id: true } });
    const chatId = expectNoErrors(await gql(server, CreatePrivateChatDocument, { userId: aliceRow.id }, as(carol))).createPrivateChat.id;
    const count = 45;
    for (let i = 1; i <= count; i += 1) expectNoErrors(await gql(server, SendMessageDocument, { input: { chatId, text: `Story line ${i}` } }, as(carol)));
    await alice.getByRole('button', { name: /Carol/ }).click();
    await bubble(alice, `Story line ${count}`).waitFor(WAIT);
    const list = alice.getByRole('list', { name: 'Messages' });
    // The list is drawn bottom-up (column-reverse): its top is the most negative scrollTop.
    await expect
      .poll(async () => {
        await list.evaluate((element) => {
          const el = element as unknown as { scrollTop: number; scrollHeight: number };
          el.scrollTop = -el.scrollHeight;
        });
        return alice.getByText('Start of the conversation').isVisible();
      }, WAIT)
      .toBe(true);
    const texts = (await list.locator('li.message .text').allTextContents()).filter((text) => text.startsWith('Story line')).reverse();
    expect(texts).toEqual(Array.from({ length: count }, (_, i) => `Story line ${i + 1}`));
  });

  it('an admin deactivates a user from the admin screen; that user is signed out at once', async () => {
    const admin = await createUser(server, { username: `admin_${suffix}`, password: PASSWORD, displayName: 'Admin' });
    await promoteToAdmin(server, admin.user.id);
    const adminProxy = await new TcpProxy(server.port).start();
    proxies.push(adminProxy);
    const page = await open({ width: 1200, height: 900 }, adminProxy);
    await page.getByLabel('Username').fill(admin.user.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Admin' }).click();
    await page.getByRole('img', { name: /Messages per hour, last 24 hours/ }).waitFor(WAIT);
    await page.getByLabel('Search users').fill(names.bob);
    await page.getByRole('button', { name: `Deactivate ${names.bob}` }).click();
    // Bob's socket is closed (4403 ACCOUNT_DEACTIVATED); his page signs out and says why.
    await bob.getByText('Your account was deactivated.').waitFor(WAIT);
    await bob.getByLabel('Username').waitFor(WAIT);
    await page.getByRole('cell', { name: 'DEACTIVATE_USER' }).first().waitFor(WAIT);
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('no page broke its Content-Security-Policy or threw', () => {
    expect(problems).toEqual([]);
  });
});
