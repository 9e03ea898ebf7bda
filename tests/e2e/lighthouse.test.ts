// Lighthouse on the built site with Debian's Chromium. On a desktop (home, a listing, a category page): SEO 100,
// accessibility at least 95. On a phone 390 px wide (search, a listing, a member's dashboard): accessibility at
// least 95, performance at least 90, cumulative layout shift at most 0.05. Every score is printed for the record.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { CHROMIUM_ENV, CHROMIUM_FLAGS, CHROMIUM_PATH } from '../helpers/browser.ts';
import { tempDir } from '../helpers/db.ts';
import { withSiteDb } from '../helpers/site-db.ts';

let server: RunningServer;
let chrome: ChildProcess;
let port: number;
let dataDir: string;

beforeAll(async () => {
  dataDir = path.join(tempDir(), 'data');
  server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '300' });
  port = await freePort();
  chrome = spawn(
    CHROMIUM_PATH,
    [
      ...CHROMIUM_FLAGS,
      `--remote-debugging-port=${port}`,
      `--user-data-dir=${tempDir('lighthouse-profile-')}`,
      'about:blank',
    ],
    { stdio: 'ignore', env: CHROMIUM_ENV },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/json/version`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('Chromium did not open its debugging port');
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  chrome?.kill();
  await server?.stop();
});

function samplePaths(): Record<string, string> {
  return withSiteDb(dataDir, (db) => {
    const listing = db.prepare("select id, slug, company_id from listings where status = 'active' order by id limit 1").get() as { id: number; slug: string; company_id: number };
    // A member's listing, as search engines see it: demo companies (nobody's) are sample data, noindex by design.
    db.prepare("insert into users (id, email, password_hash, display_name, created_at) values ('lh-owner', 'lh@example.com', '!', 'owner', 0)").run();
    db.prepare("update companies set owner_id = 'lh-owner' where id = ?").run(listing.company_id);
    const category = db.prepare('select slug from categories where parent_id is null order by position limit 1').pluck().get() as string;
    return { home: '/', listing: `/listing/${listing.id}-${listing.slug}`, category: `/category/${category}` };
  }, { readonly: false });
}

/** A signed-in member who owns the busiest demo company, as the Cookie header their browser sends. */
async function memberCookie(): Promise<string> {
  const res = await fetch(server.url + '/register', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
    body: new URLSearchParams({ email: 'lh.member@example.com', displayName: 'member', password: 'Ganjiang-River-2026', passwordRepeat: 'Ganjiang-River-2026' }),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  if (!cookie) throw new Error(`registration answered ${res.status} without a session`);
  withSiteDb(dataDir, (db) => {
    db.prepare(
      "update companies set owner_id = (select id from users where email = 'lh.member@example.com') where id = (select company_id from listings where status = 'active' and company_id not in (select id from companies where owner_id is not null) group by company_id order by count(*) desc limit 1)",
    ).run();
  }, { readonly: false });
  const dashboard = await fetch(server.url + '/dashboard', { headers: { Cookie: cookie }, redirect: 'manual' });
  expect(dashboard.status).toBe(200);
  expect(await dashboard.text()).toContain('class="dash-item"');
  return cookie;
}

type Scores = Record<string, number>;

const MOBILE = {
  extends: 'lighthouse:default',
  // Lighthouse's own phone (its pixel ratio, network and CPU throttling), 390 px wide like the layout tests' phone.
  settings: { formFactor: 'mobile', screenEmulation: { mobile: true, width: 390, height: 844, deviceScaleFactor: 1.75, disabled: false } },
} as const;

/**
 * Runs Lighthouse on each page and gives every page's category scores (0-100) and CLS, with the audits that
 * failed in `checked` categories named (so a red run says what to fix).
 */
async function audit(
  pages: Record<string, string>,
  { config, headers, checked }: { config?: typeof desktopConfig | typeof MOBILE; headers?: Record<string, string>; checked: string[] },
): Promise<{ scores: Record<string, Scores>; failures: string[] }> {
  const scores: Record<string, Scores> = {};
  const failures: string[] = [];
  for (const [name, pathname] of Object.entries(pages)) {
    const result = await lighthouse(
      server.url + pathname,
      { port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'seo'], extraHeaders: headers },
      config as Parameters<typeof lighthouse>[2],
    );
    const lhr = result!.lhr;
    const score = (c: string) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
    scores[name] = {
      performance: score('performance'),
      accessibility: score('accessibility'),
      seo: score('seo'),
      cls: Number((lhr.audits['cumulative-layout-shift']?.numericValue ?? 0).toFixed(3)),
    };
    for (const category of checked) {
      for (const ref of lhr.categories[category]!.auditRefs) {
        const a = lhr.audits[ref.id]!;
        if (ref.weight > 0 && a.score !== null && a.score < 0.9) {
          const items = ((a.details as { items?: { node?: { selector?: string } }[] } | undefined)?.items ?? [])
            .map((i) => i.node?.selector)
            .filter(Boolean)
            .slice(0, 5);
          failures.push(`${name} ${category}: ${ref.id} (${a.title}) ${a.displayValue ?? ''} at ${items.join(', ')}`);
        }
      }
    }
  }
  return { scores, failures };
}

describe('Lighthouse', () => {
  it(
    'on a desktop: SEO 100 and accessibility at least 95 on the home, a listing and a category page',
    async () => {
      const { scores, failures } = await audit(samplePaths(), { config: desktopConfig, checked: ['seo', 'accessibility'] });
      console.log(`Lighthouse desktop scores: ${JSON.stringify(scores)}`);
      for (const [name, s] of Object.entries(scores)) {
        expect(s.seo, `${name} SEO; failing audits: ${failures.join('; ')}`).toBe(100);
        expect(s.accessibility, `${name} accessibility; failing audits: ${failures.join('; ')}`).toBeGreaterThanOrEqual(95);
      }
    },
    150_000,
  );

  it(
    'on a phone (390 px): accessibility at least 95, performance at least 90 and CLS at most 0.05 on search, a listing and the dashboard',
    async () => {
      const { listing } = withSiteDb(dataDir, (db) => {
        const l = db.prepare("select l.id, l.slug from listings l join listing_images i on i.listing_id = l.id where l.status = 'active' order by l.id limit 1").get() as { id: number; slug: string } | undefined;
        const any = db.prepare("select id, slug from listings where status = 'active' order by id limit 1").get() as { id: number; slug: string };
        return { listing: l ?? any };
      });
      const publicPages = { search: '/search?q=%E9%92%A2%E7%AE%A1', listing: `/listing/${listing.id}-${listing.slug}` };
      const cookie = await memberCookie();
      const runs = [
        await audit(publicPages, { config: MOBILE, checked: ['accessibility', 'performance'] }),
        await audit({ dashboard: '/dashboard' }, { config: MOBILE, headers: { Cookie: cookie }, checked: ['accessibility', 'performance'] }),
      ];
      const scores = Object.assign({}, ...runs.map((r) => r.scores)) as Record<string, Scores>;
      const failures = runs.flatMap((r) => r.failures).join('; ');
      console.log(`Lighthouse mobile scores: ${JSON.stringify(scores)}`);
      for (const [name, s] of Object.entries(scores)) {
        expect(s.accessibility, `${name} accessibility; failing audits: ${failures}`).toBeGreaterThanOrEqual(95);
        expect(s.performance, `${name} performance; failing audits: ${failures}`).toBeGreaterThanOrEqual(90);
        expect(s.cls, `${name} CLS`).toBeLessThanOrEqual(0.05);
      }
    },
    200_000,
  );
});
