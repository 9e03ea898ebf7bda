// A member in real Chromium, without JavaScript: register, sign out, sign in, change the password; plus what a
// hostile page or a guessing script can (not) do, checked against the built server.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { hashToken } from '../../src/server/tokens.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dataDir: string;

const NAME = '<script>alert("x")</script>刘经理';
const EMAIL = 'liu.manager@example.com';
const PASSWORD = 'Ganjiang-River-2026';
const NEW_PASSWORD = 'Poyang-Lake-2027';

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  // As deployed behind a TLS-terminating proxy, which is what tells the server a request came over https.
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0', TRUST_PROXY: 'true' });
  browser = await launchBrowser();
  context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

function write(query: string, ...params: unknown[]): void {
  withSiteDb(dataDir, (db) => db.prepare(query).run(...params), { readonly: false });
}

function sql<T>(query: string, ...params: unknown[]): T[] {
  return withSiteDb(dataDir, (db) => db.prepare(query).all(...params) as T[]);
}

/** Clicks a form's button and waits for the page it ends on (after any redirect); gives that page's response. */
async function submit(button: string) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && (r.status() < 300 || r.status() >= 400)),
    page.getByRole('button', { name: button }).click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return response;
}

async function sessionCookieValue(): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === 'session')?.value;
}

const post = (pathname: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(server.url + pathname, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url, ...headers },
    body: new URLSearchParams(body),
  });

describe('a member account in the browser', () => {
  it('shows each registration error beside its field and keeps what was typed, never the password', async () => {
    await page.goto(server.url + '/register');
    await page.getByLabel('电子邮箱').fill(EMAIL);
    await page.getByLabel('联系人姓名').fill(NAME);
    await page.getByLabel('密码', { exact: true }).fill('woaini1314');
    await page.getByLabel('确认密码').fill('woaini1314');
    const res = await submit('注册');
    expect(res.status()).toBe(422);
    expect(await page.locator('.field:has(#password) .field-error').textContent()).toContain('太常见');
    expect(await page.getByLabel('电子邮箱').inputValue()).toBe(EMAIL);
    expect(await page.getByLabel('联系人姓名').inputValue()).toBe(NAME);
    expect(await page.getByLabel('密码', { exact: true }).inputValue()).toBe('');
  });

  it('registers, signs in at once and shows the name (as text) in the header', async () => {
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByLabel('确认密码').fill(PASSWORD);
    await submit('注册');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await page.goto(server.url + '/');
    const header = page.locator('.header-account');
    expect(await header.locator('.user-name').textContent()).toBe(NAME);
    expect(await header.locator('script').count()).toBe(0);
    expect(await page.content()).toContain('&lt;script&gt;alert("x")&lt;/script&gt;刘经理');
    expect(await header.getByRole('link', { name: '会员中心' }).getAttribute('href')).toBe('/dashboard');
  });

  it('holds an HttpOnly, SameSite=Lax cookie whose value the database keeps only as a SHA-256', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.secure).toBe(false); // plain http on this test server
    const ids = sql<{ id: string }>('select id from sessions').map((r) => r.id);
    expect(ids).toContain(hashToken(cookie.value));
    expect(ids).not.toContain(cookie.value);
  });

  it('signs out with the header button, which ends the session on the server', async () => {
    const token = (await sessionCookieValue())!;
    await submit('退出');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('.header-account').getByRole('link', { name: '登录' }).count()).toBe(1);
    expect(await sessionCookieValue()).toBeUndefined();
    expect(sql('select id from sessions where id = ?', hashToken(token))).toEqual([]);
    // A copy of the old cookie no longer signs anyone in.
    const res = await fetch(server.url + '/account/password', { headers: { Cookie: `session=${token}` }, redirect: 'manual' });
    expect(res.status).toBe(303);
  });

  it('signs in and returns to the page asked for; a foreign ?next= is ignored', async () => {
    await page.goto(server.url + '/account/password');
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('电子邮箱').fill(' LIU.Manager@example.com ');
    await page.getByLabel('密码').fill(PASSWORD);
    await submit('登录');
    expect(new URL(page.url()).pathname).toBe('/account/password');

    const res = await post('/login?next=%2F%2Fevil.example%2Fphish', { email: EMAIL, password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
  });

  it('changes the password: the old one stops working, other sessions end, this browser stays in', async () => {
    const other = await post('/login', { email: EMAIL, password: PASSWORD });
    const otherCookie = other.headers.get('set-cookie')!.split(';')[0]!;

    await page.goto(server.url + '/account/password');
    await page.getByLabel('当前密码').fill('not-my-password');
    await page.getByLabel('新密码', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('确认新密码').fill(NEW_PASSWORD);
    const wrong = await submit('保存新密码');
    expect(wrong.status()).toBe(422);
    expect(await page.locator('.field:has(#currentPassword) .field-error').textContent()).toBe('当前密码不正确');

    await page.getByLabel('当前密码').fill(PASSWORD);
    await page.getByLabel('新密码', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('确认新密码').fill(NEW_PASSWORD);
    await submit('保存新密码');
    expect(await page.locator('.form-success').textContent()).toContain('密码已修改');
    expect(await page.locator('.header-account .user-name').textContent()).toBe(NAME);

    const otherNow = await fetch(server.url + '/account/password', { headers: { Cookie: otherCookie }, redirect: 'manual' });
    expect(otherNow.status).toBe(303);

    await submit('退出');
    await page.goto(server.url + '/login');
    await page.getByLabel('电子邮箱').fill(EMAIL);
    await page.getByLabel('密码').fill(PASSWORD);
    const old = await submit('登录');
    expect(old.status()).toBe(422);
    expect(await page.locator('.form-error').textContent()).toBe('邮箱或密码不正确');
    expect(await page.getByLabel('电子邮箱').inputValue()).toBe(EMAIL);

    await page.getByLabel('密码').fill(NEW_PASSWORD);
    await submit('登录');
    expect(await page.locator('.header-account .user-name').textContent()).toBe(NAME);
  });
});

describe('attacks the server refuses', () => {
  it('refuses a cross-origin sign-in (403) and signs nobody in', async () => {
    const res = await post('/login', { email: EMAIL, password: NEW_PASSWORD }, { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a cross-origin sign-out (403) and the session lives on', async () => {
    const token = (await sessionCookieValue())!;
    const res = await post('/logout', {}, { Origin: 'https://evil.example', Cookie: `session=${token}` });
    expect(res.status).toBe(403);
    expect(sql('select id from sessions where id = ?', hashToken(token))).toHaveLength(1);
    await page.goto(server.url + '/');
    expect(await page.locator('.header-account .user-name').textContent()).toBe(NAME);
  });

  it('answers a sign-out by GET with 405, signing nobody out', async () => {
    const token = (await sessionCookieValue())!;
    const res = await fetch(server.url + '/logout', { headers: { Cookie: `session=${token}` } });
    expect(res.status).toBe(405);
    expect(sql('select id from sessions where id = ?', hashToken(token))).toHaveLength(1);
  });

  it('extends a session used in its second half and sends the cookie again; clears an expired one', async () => {
    const res = await post('/login', { email: EMAIL, password: NEW_PASSWORD });
    const token = res.headers.get('set-cookie')!.split(';')[0]!.replace('session=', '');
    const id = hashToken(token);
    const DAY = 86_400_000;
    write('update sessions set expires_at = ? where id = ?', Date.now() + 10 * DAY, id);
    const used = await fetch(server.url + '/', { headers: { Cookie: `session=${token}` } });
    expect(used.headers.get('set-cookie')).toBe(`session=${token}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax`);
    expect(used.headers.get('cache-control')).toBe('private, no-store');
    expect(used.headers.get('vary')).toContain('Cookie');
    const [row] = sql<{ expires_at: number }>('select expires_at from sessions where id = ?', id);
    expect(row!.expires_at).toBeGreaterThan(Date.now() + 29 * DAY);

    write('update sessions set expires_at = ? where id = ?', Date.now() - 1000, id);
    const expired = await fetch(server.url + '/', { headers: { Cookie: `session=${token}` } });
    expect(expired.headers.get('set-cookie')).toMatch(/^session=; Max-Age=0/);
    expect(await expired.text()).toContain('href="/login"');
    expect(sql('select id from sessions where id = ?', id)).toEqual([]);
  });

  it('clears a cookie whose session does not exist', async () => {
    const res = await fetch(server.url + '/', { headers: { Cookie: 'session=abcdefghijklmnopqrstuvwxyz234567' } });
    expect(res.headers.get('set-cookie')).toMatch(/^session=; Max-Age=0/);
  });

  it('marks the cookie Secure when the site is reached over https (through the trusted proxy)', async () => {
    const res = await post('/login', { email: EMAIL, password: NEW_PASSWORD }, { 'X-Forwarded-Proto': 'https', Origin: server.url.replace('http:', 'https:') });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('slows guessing from one address with 429 and Retry-After, says so on the form, and never locks the owner out', async () => {
    const victim = 'victim@example.com';
    await post('/register', { email: victim, displayName: '受害人', password: PASSWORD, passwordRepeat: PASSWORD });
    // The trusted proxy names each client's address.
    const guesser = { 'X-Forwarded-For': '203.0.113.7' };
    let refused: Response | undefined;
    // Three failures are free, then each waits twice as long as the last: a refusal comes within a few guesses, however
    // long each hash takes on this machine.
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await post('/login', { email: victim, password: `guess-${i}-x` }, guesser);
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(422);
    }
    expect(refused?.status).toBe(429);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused!.text()).toContain('尝试次数过多');
    // The owner, elsewhere, signs in as usual.
    expect((await post('/login', { email: victim, password: PASSWORD }, { 'X-Forwarded-For': '198.51.100.20' })).status).toBe(303);
  });

  it('answers a registration with an email that has an account exactly like a new one', async () => {
    const answer = async (email: string) => {
      const res = await post('/register', { email, displayName: '重复注册', password: 'Lushan-Cloud-2026', passwordRepeat: 'Lushan-Cloud-2026' }, { 'X-Forwarded-For': '198.51.100.30' });
      return { status: res.status, location: res.headers.get('location') };
    };
    expect(await answer(EMAIL)).toEqual(await answer('brand-new-member@example.com'));
    expect(await answer(EMAIL)).toEqual({ status: 303, location: '/dashboard' });
  });
});
