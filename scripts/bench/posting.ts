// `npm run bench:posting [-- --listings 200000]`: prints JSON figures for the writes of posting, against a temporary
// database holding a demo dataset of the given size: listings created and edited per second (each its own immediate
// transaction with its search outbox row), the expiry sweep over 10,000 listings past expiry, one flush of 10,000
// listings' buffered views, and a member's dashboard with 5,000 listings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import { openDatabase } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { getDashboard } from '../../src/server/listings/dashboard.ts';
import { expireListings } from '../../src/server/listings/expiry.ts';
import { flushViews, recordView } from '../../src/server/listings/views.ts';
import { createListing, updateListing } from '../../src/server/listings/write.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { args, runCli } from '../lib/cli.ts';

const DAY = 86_400_000;

function timed<T>(fn: () => T): { ms: number; result: T } {
  const started = performance.now();
  const result = fn();
  return { ms: Math.round((performance.now() - started) * 10) / 10, result };
}

runCli(() => {
  const opts = args({ listings: { type: 'string', default: '100000' } }, 'npm run bench:posting -- [--listings N]');
  const size = Number(opts.listings);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-posting-'));
  try {
    const db = openDatabase(path.join(dir, 'site.db'));
    seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
    const now = Date.now();
    writeDemoData(db, { listings: size, seed: 1, now });
    const user = db.insert(users).values({ id: 'bench', email: 'bench@example.com', passwordHash: '!', displayName: 'bench', createdAt: now }).returning().get();
    const company = db.select().from(companies).limit(1).get()!;
    db.update(companies).set({ ownerId: user.id }).where(eq(companies.id, company.id)).run();

    const input = (n: number) => ({
      kind: 'supply', category: 'grain-oil', region: 'donghu', title: `供应优质大米 第${n}批`, priceType: 'range',
      priceMin: '3.2', priceMax: '3.8', priceUnit: '斤', quantity: '100', attributes: { grade: '一级', origin: '五常' },
    });
    const CREATES = 2000;
    const created = timed(() => Array.from({ length: CREATES }, (_, n) => createListing(db, user.id, input(n), now).id));
    const edits = timed(() => created.result.map((id, n) => updateListing(db, user.id, id, { title: `供应优质大米 第${n}批 新米` }, now + 1)));

    const past = db.select({ id: listings.id }).from(listings).where(eq(listings.status, 'active')).limit(10_000).all();
    for (const { id } of past) db.update(listings).set({ expiresAt: now - DAY }).where(eq(listings.id, id)).run();
    const sweep = timed(() => expireListings(db, now));

    const viewer = { userId: null, userAgent: 'Mozilla/5.0 Chrome/131.0' };
    for (const { id } of past) for (let i = 0; i < 3; i++) recordView(id, null, viewer);
    const flush = timed(() => flushViews(db));

    // Give the member 5,000 listings so the dashboard counts and pages something real.
    db.update(listings).set({ companyId: company.id }).where(eq(listings.status, 'active')).run();
    const own = db.$client.prepare('select count(*) from listings where company_id = ?').pluck().get(company.id) as number;
    const dashboard = timed(() => getDashboard(db, user.id, 'active', 1, now));
    const dashboardLast = timed(() => getDashboard(db, user.id, 'expired', 1, now));

    console.log(
      JSON.stringify(
        {
          datasetListings: size,
          createListingPerSecond: Math.round((CREATES / created.ms) * 1000),
          updateListingPerSecond: Math.round((CREATES / edits.ms) * 1000),
          expirySweep: { listings: sweep.result, ms: sweep.ms },
          viewFlush: { listings: flush.result, ms: flush.ms },
          dashboard: { ownListings: own, activeTabMs: dashboard.ms, expiredTabMs: dashboardLast.ms },
        },
        null,
        2,
      ),
    );
    db.$client.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
