// `npm run bench:inquiries [-- --listings 100000 --threads 10000 --requests 60]`: prints JSON figures for
//  - sending an inquiry (the domain call a form post makes: checks, thread, first message, daily count, mail queued),
//  - the inbox page of a company with 10,000 threads (the built server, signed in; pages 1 and 50, and unread),
//  - the analytics page and its CSV for a company with 100,000 listings and their daily figures over 90 days (the
//    first request sums the closed days into the company rollup once),
// as p50/p95 in milliseconds. The dataset is written into a temporary folder and deleted afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { companies, listings, users } from '../../db/schema.ts';
import { startSession } from '../../src/server/auth/sessions.ts';
import { openDatabase } from '../../src/server/db.ts';
import { writeDemoData } from '../../src/server/demo/generate.ts';
import { formStamp } from '../../src/server/inquiries/keys.ts';
import { sendInquiry } from '../../src/server/inquiries/send.ts';
import { chinaDay } from '../../src/server/listings/views.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { args, machine, runCli } from '../lib/cli.ts';
import { startServer } from '../lib/server-process.ts';

const DAY = 86_400_000;
const step = (what: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${what}\n`);

function percentiles(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 10) / 10;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}

async function timeRequests(url: string, cookie: string, n: number) {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(url, { headers: { cookie, 'user-agent': 'Mozilla/5.0 bench' } });
    const body = await res.text();
    samples.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${body.slice(0, 300)}`);
    bytes = body.length;
  }
  // The first request may do one-time work (the analytics rollup of closed days): shown apart.
  return { firstMs: Math.round(samples[0]! * 10) / 10, ...percentiles(samples), bytes };
}

runCli(async () => {
  const opts = args(
    { listings: { type: 'string', default: '100000' }, threads: { type: 'string', default: '10000' }, requests: { type: 'string', default: '60' } },
    'npm run bench:inquiries -- [--listings N] [--threads N] [--requests N]',
  );
  const size = Number(opts.listings);
  const threadCount = Number(opts.threads);
  const requests = Number(opts.requests);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-inquiries-'));
  const dataDir = path.join(dir, 'data');
  try {
    const db = openDatabase(path.join(dataDir, 'site.db'));
    seedTaxonomy(db, { regionsFile: 'db/seed/regions/jiangxi.json', categoriesFile: 'db/seed/categories.json' });
    const now = Date.now();
    step(`writing ${size} listings`);
    writeDemoData(db, { listings: size, seed: 1, now });
    const seller = db.insert(users).values({ id: 'bench-seller', email: 'seller@example.com', passwordHash: '!', displayName: '卖家', createdAt: now }).returning().get();
    const company = db.select().from(companies).limit(1).get()!;
    db.update(companies).set({ ownerId: seller.id }).where(eq(companies.id, company.id)).run();
    // One company holds every listing: the analytics of a company with `size` listings.
    db.update(listings).set({ companyId: company.id }).run();
    const ids = db.select({ id: listings.id }).from(listings).all().map((r) => r.id);

    step('writing 90 days of daily figures (each listing active on about one day in ten)');
    const today = chinaDay(now);
    const insertDay = db.$client.prepare('insert or ignore into listing_daily_stats (company_id, listing_id, day, views, reveals, inquiries, replies) values (?, ?, ?, ?, ?, ?, ?)');
    let dailyRows = 0;
    db.$client.transaction(() => {
      let seed = 7;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      for (const id of ids) {
        for (let d = 0; d < 9; d++) {
          insertDay.run(company.id, id, today - Math.floor(rnd() * 90), 1 + Math.floor(rnd() * 20), rnd() < 0.2 ? 1 : 0, rnd() < 0.05 ? 1 : 0, 0);
          dailyRows++;
        }
      }
    })();

    step(`writing ${threadCount} threads to the company`);
    const buyer = db.insert(users).values({ id: 'bench-buyer', email: 'buyer@example.com', passwordHash: '!', displayName: '买家', createdAt: now }).returning().get();
    const insertThread = db.$client.prepare(
      `insert into inquiry_threads (kind, status, company_id, listing_id, listing_title, asker_user_id, asker_name, asker_email, message_hash, created_at, last_message_at, company_unread)
       values ('inquiry', 'open', ?, ?, ?, ?, '买家', 'buyer@example.com', ?, ?, ?, ?)`,
    );
    const insertMessage = db.$client.prepare(`insert into inquiry_messages (thread_id, from_company, author_name, body, created_at) values (?, 0, '买家', '请报价', ?)`);
    db.$client.transaction(() => {
      for (let i = 0; i < threadCount; i++) {
        const at = now - (threadCount - i) * 60_000;
        const r = insertThread.run(company.id, ids[i % ids.length], `供应产品 ${i}`, buyer.id, `h${i}`, at, at, i % 7 === 0 ? 1 : 0);
        insertMessage.run(r.lastInsertRowid, at);
      }
    })();
    db.$client.exec('ANALYZE');

    step('sending inquiries (domain call)');
    const submit: number[] = [];
    for (let i = 0; i < 200; i++) {
      const asker = { id: `bench-asker-${i}`, email: `asker${i}@example.com`, displayName: '询价人', isAdmin: false };
      db.insert(users).values({ ...asker, passwordHash: '!', createdAt: now }).run();
      const at = Date.now();
      const values = { started: formStamp(db, at - 60_000), contactName: '询价人', message: `第 ${i} 次询价：50 吨多少钱？`, quantity: '50', quantityUnit: '吨', targetPrice: '4.2', priceMin: '4.0' };
      const started = performance.now();
      sendInquiry(db, { target: { listingId: ids[i]! }, user: asker, values, ip: `10.1.${i >> 8}.${i & 255}`, locale: 'zh-CN' }, at);
      submit.push(performance.now() - started);
    }
    const session = await startSession(db, seller.id);
    db.$client.close();

    step('starting the built server (it rebuilds the search index for the dataset first)');
    const server = await startServer({ DATA_DIR: dataDir, DEMO_LISTINGS: '0' }, 600_000);
    try {
      const cookie = `session=${session.token}`;
      step('timing the inbox and analytics pages');
      const inbox = await timeRequests(`${server.url}/dashboard/inbox`, cookie, requests);
      const inboxDeep = await timeRequests(`${server.url}/dashboard/inbox?page=50`, cookie, requests);
      const inboxUnread = await timeRequests(`${server.url}/dashboard/inbox?f=unread`, cookie, requests);
      const analytics = await timeRequests(`${server.url}/dashboard/analytics?range=90`, cookie, Math.max(10, requests / 3));
      const analyticsCsv = await timeRequests(`${server.url}/dashboard/analytics.csv?range=90`, cookie, Math.max(10, requests / 3));
      const analyticsListing = await timeRequests(`${server.url}/dashboard/analytics?range=90&listing=${ids[0]}`, cookie, requests);
      console.log(
        JSON.stringify(
          {
            machine: machine(),
            dataset: { listings: size, companyListings: ids.length, dailyStatRows: dailyRows, threads: threadCount },
            inquirySubmitMs: percentiles(submit),
            inboxPageMs: { first: inbox, page50: inboxDeep, unread: inboxUnread },
            analyticsPageMs: { company90Days: analytics, company90DaysCsv: analyticsCsv, oneListing90Days: analyticsListing },
          },
          null,
          2,
        ),
      );
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
