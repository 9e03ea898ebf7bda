// Lighthouse (SEO, accessibility, performance) on the home, a listing and a category page of the built site, with
// Debian's Chromium. Pass line: SEO 100, accessibility at least 95; performance scores are printed for the record.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import lighthouse from 'lighthouse';
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

describe('Lighthouse', () => {
  const scores: Record<string, Record<string, number>> = {};

  it(
    'scores SEO 100 and accessibility at least 95 on the home, a listing and a category page',
    async () => {
      const failures: string[] = [];
      for (const [name, pathname] of Object.entries(samplePaths())) {
        const result = await lighthouse(server.url + pathname, {
          port,
          output: 'json',
          logLevel: 'error',
          onlyCategories: ['performance', 'accessibility', 'seo'],
        });
        const lhr = result!.lhr;
        const score = (c: string) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
        scores[name] = { performance: score('performance'), accessibility: score('accessibility'), seo: score('seo') };
        // Name what failed, so a red run says what to fix.
        for (const category of ['seo', 'accessibility'] as const) {
          for (const ref of lhr.categories[category]!.auditRefs) {
            const audit = lhr.audits[ref.id]!;
            if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
              const items = ((audit.details as { items?: { node?: { selector?: string } }[] } | undefined)?.items ?? [])
                .map((i) => i.node?.selector)
                .filter(Boolean)
                .slice(0, 5);
              failures.push(`${name} ${category}: ${ref.id} (${audit.title}) at ${items.join(', ')}`);
            }
          }
        }
      }
      console.log(`Lighthouse scores: ${JSON.stringify(scores)}`);
      for (const [name, s] of Object.entries(scores)) {
        expect(s.seo, `${name} SEO; failing audits: ${failures.join('; ')}`).toBe(100);
        expect(s.accessibility, `${name} accessibility; failing audits: ${failures.join('; ')}`).toBeGreaterThanOrEqual(95);
      }
    },
    150_000,
  );
});
