// The search dictionary edited in the admin console, in real Chromium against the built server: a synonym group
// added at /admin/dictionary makes the very next search find listings it did not find (no restart), a word in two
// groups is refused naming it while the form keeps what was typed, and the save is in the audit log.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { register } from '../helpers/forms.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let browser: Browser;
let dataDir: string;
let admin: Page;

// A made-up word no listing contains, to become a synonym of a word some listing's title does contain.
const INVENTED = '翡翠绿测试词';

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '50' });
  browser = await launchBrowser();
  admin = await (await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' })).newPage();
  await register(admin, server.url, 'admin@example.com', '管理员');
  withSiteDb(dataDir, (db) => db.prepare("UPDATE users SET is_admin = 1 WHERE email = 'admin@example.com'").run(), { readonly: false });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const hits = async (q: string) => {
  await admin.goto(server.url + '/search?q=' + encodeURIComponent(q));
  return admin.locator('.listing-card').count();
};

async function save(synonyms: string) {
  await admin.fill('[data-dictionary-form] textarea[name=synonyms]', synonyms);
  await admin.check('[data-dictionary-form] input[name=confirm]');
  const [response] = await Promise.all([
    admin.waitForResponse((r) => r.request().isNavigationRequest() && (r.status() < 300 || r.status() >= 400)),
    admin.locator('[data-dictionary-form] button[type=submit]').click(),
  ]);
  await admin.waitForLoadState('domcontentloaded');
  return response;
}

describe('the search dictionary in the admin console', () => {
  it('an added synonym group applies to the next search; a word in two groups is refused, naming it', async () => {
    const dictionaryWords = new Set((JSON.parse(fs.readFileSync('db/seed/search-dictionary.json', 'utf8')) as { synonyms: string[][]; words: string[] }).synonyms.flat());
    const titles = withSiteDb(dataDir, (db) => db.prepare("SELECT title FROM listings WHERE status = 'active' ORDER BY id LIMIT 50").all() as { title: string }[]);
    const word = titles.map((t) => /\p{Script=Han}{3,}/u.exec(t.title)?.[0]).find((w) => w && !dictionaryWords.has(w))!;
    expect(word).toBeTruthy();
    expect(await hits(INVENTED)).toBe(0);

    await admin.goto(server.url + '/admin');
    await admin.locator('.admin-nav a', { hasText: '搜索词典' }).click();
    expect(admin.url()).toBe(server.url + '/admin/dictionary');
    const stored = await admin.locator('textarea[name=synonyms]').inputValue();
    expect(stored).toContain('叉车, 堆高车');

    const refused = `${stored}\n电缆, 线缆`;
    expect((await save(refused)).status()).toBe(422);
    expect(await admin.locator('[data-error=synonyms]').textContent()).toContain('电缆');
    expect(await admin.locator('textarea[name=synonyms]').inputValue()).toBe(refused);
    expect(await hits(INVENTED)).toBe(0);

    await admin.goto(server.url + '/admin/dictionary');
    expect((await save(`${stored}\n${word}, ${INVENTED}`)).status()).toBe(200);
    expect(admin.url()).toBe(server.url + '/admin/dictionary?saved=1');
    expect(await admin.locator('[data-dictionary-saved]').textContent()).toContain('词典已保存');
    expect(await hits(INVENTED)).toBeGreaterThan(0);

    await admin.goto(server.url + '/admin/audit?action=searchDictionary.edit');
    const entry = admin.locator('tr[data-audit-action="searchDictionary.edit"]');
    expect(await entry.count()).toBe(1);
    expect(await entry.textContent()).toContain(INVENTED);
  });
});
