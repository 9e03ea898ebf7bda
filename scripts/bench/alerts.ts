// `npm run bench:alerts [-- --listings 100000 --searches 100000 --new 300 --burst 1000]`: prints JSON figures of
// saved-search alert fan-out:
//  - latency: a new listing goes live, the server's job round matches it against every saved search (reverse index,
//    then the exact check) and queues the instant alerts it causes: p50/p95/max per listing, with how many searches
//    the index offered (candidates) and how many fitted;
//  - burst: --burst listings go live at once (a bulk import); the time to match them all, and the longest the event
//    loop waited meanwhile (the job yields between listings, so requests are served during a burst);
//  - the alerts job for every daily search at once, and the sizes of the tables.
// Searches are built from the demo data the way members search: a word of a real title, alone or with a category,
// a city, a kind or a price range; a mix of alert frequencies. Everything is in a temporary folder, deleted after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { count, eq } from 'drizzle-orm';
import { companies, listings, mailOutbox, savedSearchAnchors, savedSearchHits, savedSearchOutbox, users } from '../../db/schema.ts';
import { openDatabase, type Db } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { queueSavedSearchAlerts, savedSearchRound } from '../../src/server/saved-searches/alerts.ts';
import { createSavedSearch, MAX_SAVED_SEARCHES } from '../../src/server/saved-searches/index.ts';
import { placeNames, titleWords } from '../../src/server/category-suggest/index.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { args, machine, runCli, UsageError } from '../lib/cli.ts';
import { percentiles, step } from '../lib/stats.ts';

const USAGE = 'npm run bench:alerts -- [--listings 100000] [--searches 100000] [--new 300] [--burst 1000]';
const REFERENCE = { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' };
const DAY = 86_400_000;


/** A deterministic pseudo-random sequence (same seed, same searches). */
function random(seed: number) {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Saved searches as members write them, from the titles and places of random demo listings. */
function makeSearches(db: Db, n: number, now: number): number {
  const rnd = random(7);
  const taxonomy = getTaxonomy(db);
  const places = placeNames(taxonomy.regions);
  const sample = db
    .select({ title: listings.title, kind: listings.kind, categoryId: listings.categoryId, topCategoryId: listings.topCategoryId, cityId: listings.cityId, priceMin: listings.priceMin })
    .from(listings)
    .where(eq(listings.status, 'active'))
    .limit(20_000)
    .all();
  const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const frequencies = ['instant', 'instant', 'instant', 'daily', 'daily', 'daily', 'daily', 'daily', 'weekly', 'off'] as const;
  const users_ = Math.ceil(n / MAX_SAVED_SEARCHES);
  let made = 0;
  for (let u = 0; u < users_ && made < n; u++) {
    const userId = `bench-${u}`;
    db.insert(users).values({ id: userId, email: `member${u}@bench.example`, passwordHash: '!', displayName: userId, createdAt: now }).run();
    db.transaction(() => {
      for (let i = 0; i < MAX_SAVED_SEARCHES && made < n; i++) {
        const l = pick(sample);
        // The goods a title names (not 供应, 批发, quantities or places), as a buyer would type them.
        const words = titleWords(l.title, places);
        const word = words.length > 0 ? pick(words) : '';
        const p = new URLSearchParams();
        const shape = rnd();
        if (shape < 0.35) p.set('q', word), p.set('category', taxonomy.categories.byId.get(l.categoryId)!.slug);
        else if (shape < 0.55) p.set('q', word);
        else if (shape < 0.7) p.set('q', word), p.set('region', taxonomy.regions.byId.get(l.cityId)!.slug);
        else if (shape < 0.85) p.set('category', taxonomy.categories.byId.get(l.categoryId)!.slug), p.set('region', taxonomy.regions.byId.get(l.cityId)!.slug);
        else if (shape < 0.95) p.set('q', word), p.set('kind', l.kind), p.set('price_max', String(Math.ceil(((l.priceMin ?? 100_000) * 1.2) / 100)));
        else p.set('category', taxonomy.categories.byId.get(l.topCategoryId)!.slug), p.set('kind', l.kind);
        if (!p.has('q') || p.get('q')) {
          createSavedSearch(db, userId, { query: p.toString(), name: `s${made}`, frequency: pick([...frequencies]) }, now);
          made++;
        }
      }
    });
    if (u % 500 === 0) step(`saved searches: ${made} of ${n}`);
  }
  return made;
}

/** Copies of random live listings by another company, going live now (the trigger queues each for matching). */
function goLive(db: Db, n: number, now: number, rnd: () => number): number[] {
  const max = db.select({ n: count() }).from(listings).get()!.n;
  const ids: number[] = [];
  db.transaction((tx) => {
    for (let i = 0; i < n; i++) {
      const src = tx.select().from(listings).where(eq(listings.id, 1 + Math.floor(rnd() * max))).get();
      if (!src) continue;
      const { id: _id, ...rest } = src;
      const row = tx.insert(listings).values({ ...rest, status: 'active', publishedAt: now, updatedAt: now, createdAt: now, expiresAt: now + 30 * DAY }).returning({ id: listings.id }).get();
      ids.push(row.id);
    }
  });
  return ids;
}

runCli(async () => {
  const opts = args(
    { listings: { type: 'string', default: '100000' }, searches: { type: 'string', default: '100000' }, new: { type: 'string', default: '300' }, burst: { type: 'string', default: '1000' } },
    USAGE,
  );
  const [listingCount, searchCount, newCount, burstCount] = [opts.listings, opts.searches, opts.new, opts.burst].map(Number) as [number, number, number, number];
  if (![listingCount, searchCount, newCount, burstCount].every((x) => Number.isInteger(x) && x >= 1)) throw new UsageError(`Usage: ${USAGE}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-alerts-'));
  try {
    const now = Date.now();
    const db = openDatabase(path.join(dir, 'site.db'));
    seedTaxonomy(db, REFERENCE);
    step(`writing ${listingCount} demo listings`);
    writeDemoData(db, { listings: listingCount, seed: 1, now });
    step(`saving ${searchCount} searches`);
    let started = performance.now();
    const made = makeSearches(db, searchCount, now);
    const saveMs = performance.now() - started;
    db.$client.exec('ANALYZE');

    // One listing at a time: live, then the job's round (match, record, queue instant alerts).
    step(`${newCount} listings going live one at a time`);
    const rnd = random(11);
    const hitCount = () => db.select({ n: count() }).from(savedSearchHits).get()!.n;
    const latency: number[] = [];
    const candidates: number[] = [];
    const fitted: number[] = [];
    const mailsBefore = db.select({ n: count() }).from(mailOutbox).get()!.n;
    for (let i = 0; i < newCount; i++) {
      goLive(db, 1, now, rnd);
      const stats = { candidates: 0 };
      const hitsBefore = hitCount();
      const t0 = performance.now();
      await savedSearchRound(db, () => now, { stats });
      latency.push(performance.now() - t0);
      candidates.push(stats.candidates);
      fitted.push(hitCount() - hitsBefore);
      if (i % 100 === 99) step(`  ${i + 1} of ${newCount}`);
    }
    const instantMails = db.select({ n: count() }).from(mailOutbox).get()!.n - mailsBefore;

    step(`a burst of ${burstCount} listings going live at once`);
    goLive(db, burstCount, now + 1, rnd);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    started = performance.now();
    while (db.select({ n: count() }).from(savedSearchOutbox).get()!.n > 0) await savedSearchRound(db, () => now + 1);
    const burstMs = performance.now() - started;
    loop.disable();

    step('the daily and weekly alerts of everyone, a week later');
    started = performance.now();
    const digests = await queueSavedSearchAlerts(db, now + 7 * DAY);
    const digestMs = performance.now() - started;

    const members = db.select({ n: count() }).from(users).get()!.n;
    console.log(
      JSON.stringify(
        {
          machine: machine(),
          listings: listingCount,
          savedSearches: made,
          members,
          companies: db.select({ n: count() }).from(companies).get()!.n,
          anchorRows: db.select({ n: count() }).from(savedSearchAnchors).get()!.n,
          saveSearchesMs: Math.round(saveMs),
          newListingToAlertQueuedMs: percentiles(latency, 2),
          candidatesPerListing: percentiles(candidates, 2),
          hitsPerListing: percentiles(fitted, 2),
          instantMailsQueued: instantMails,
          burst: {
            listings: burstCount,
            totalMs: Math.round(burstMs),
            perListingMs: Math.round((burstMs / burstCount) * 100) / 100,
            eventLoopDelayMaxMs: Math.round(loop.max / 1e6),
            eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
          },
          periodicAlerts: { mails: digests, ms: Math.round(digestMs) },
          hits: hitCount(),
          databaseMb: Math.round(fs.statSync(path.join(dir, 'site.db')).size / 1e6),
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
