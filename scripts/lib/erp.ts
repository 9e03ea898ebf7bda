// An ERP talking to the API over HTTP, as a business's own system would: it reads the categories, loads its catalogue
// in bulk by name ("南昌", "钢管", "供应", "18500元/吨"), sends it again (nothing changes), changes ten items, sends a
// few malformed ones, uploads a photo to one listing and reconciles with ?mine=1. Used by `npm run bench:erp` (the
// figures) and tests/e2e/erp.test.ts (the outcomes).
import path from 'node:path';
import { companies, users } from '../../db/schema.ts';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { openDatabase } from '../../src/server/db.ts';

const BULK_SIZE = 1000;

/**
 * A company with an owner and an API token in a site's database (the server may be running on it). Verified, as a
 * business loading a 5,000-listing catalogue is: an unverified one may create POSTING_LIMIT_PER_DAY listings a day and
 * waits for review, whatever path its listings come by.
 */
export function erpToken(dataDir: string, { verified = true } = {}): string {
  const db = openDatabase(path.join(dataDir, 'site.db'));
  try {
    const now = Date.now();
    const id = `erp-${now}`;
    db.insert(users).values({ id, email: `${id}@example.com`, passwordHash: '!', displayName: 'ERP', createdAt: now }).run();
    db.insert(companies).values({ ownerId: id, name: '南昌管业ERP测试有限公司', slug: id, regionId: 360102, verified, createdAt: now, updatedAt: now }).run();
    return createApiToken(db, id, { name: 'ERP' }, now).token;
  } finally {
    db.$client.close();
  }
}

export interface ErpItem {
  ref: string;
  kind: string;
  category: string;
  region: string;
  title: string;
  price: string;
  quantity?: number;
}

/** A catalogue as an ERP holds it: Chinese names and prices as text. */
export function catalogue(size: number): ErpItem[] {
  const cats = ['钢管', '钢板', '不锈钢', '建筑钢材', '型钢', '紧固件'];
  const places = ['南昌', '南昌县', '东湖区', '赣州', '九江市', '吉安'];
  return Array.from({ length: size }, (_, i) => ({
    ref: `ERP-${String(i).padStart(5, '0')}`,
    kind: i % 4 === 0 ? '求购' : '供应',
    category: cats[i % cats.length]!,
    region: places[i % places.length]!,
    title: `${i % 4 === 0 ? '求购' : '供应'}${cats[i % cats.length]} 规格${i}号`,
    price: i % 10 === 0 ? '面议' : i % 3 === 0 ? `${3800 + (i % 50)}-${4200 + (i % 50)} 元/吨` : `${18500 + (i % 100)}元/吨`,
    quantity: 10 + (i % 90),
  }));
}

interface Answer {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export interface ErpReport {
  categories: number;
  load: { ms: number; calls: number; summary: Record<string, number> };
  reload: { ms: number; summary: Record<string, number> };
  change: { summary: Record<string, number> };
  malformed: { summary: Record<string, number>; errors: (Record<string, string> | undefined)[] };
  image: { status: number; images: number };
  reconcile: { ms: number; pages: number; listings: number; refsMatch: boolean };
  rateLimitRemaining: number;
}

export async function runErp(baseUrl: string, token: string, size: number, photo: Uint8Array, progress: (step: string) => void = () => {}): Promise<ErpReport> {
  const auth = { authorization: `Bearer ${token}` };
  const call = async (method: string, pathname: string, body?: BodyInit, type?: string): Promise<Answer> => {
    const res = await fetch(baseUrl + pathname, { method, headers: { ...auth, ...(type ? { 'content-type': type } : {}) }, body });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const bulk = async (items: unknown[]) => {
    const summary: Record<string, number> = { created: 0, updated: 0, unchanged: 0, error: 0 };
    const results: { status: string; id?: number; errors?: Record<string, string> }[] = [];
    for (let i = 0; i < items.length; i += BULK_SIZE) {
      // NDJSON: what an export job streams out line by line.
      const body = items.slice(i, i + BULK_SIZE).map((x) => JSON.stringify(x)).join('\n');
      const res = await call('POST', '/api/v1/listings/bulk', body, 'application/x-ndjson');
      if (res.status !== 200) throw new Error(`bulk answered ${res.status}: ${JSON.stringify(res.json)}`);
      for (const [k, v] of Object.entries(res.json.summary as Record<string, number>)) summary[k] = (summary[k] ?? 0) + v;
      results.push(...res.json.items);
      progress(`bulk ${Math.min(i + BULK_SIZE, items.length)}/${items.length}`);
    }
    return { summary, results };
  };
  const timed = async <T>(fn: () => Promise<T>) => {
    const t0 = performance.now();
    const value = await fn();
    return { ms: Math.round(performance.now() - t0), value };
  };

  const cats = await call('GET', '/api/v1/categories');
  const subcategories = (cats.json.categories as { children: unknown[] }[]).reduce((n, c) => n + c.children.length, 0);

  const items = catalogue(size);
  const load = await timed(() => bulk(items));
  const reload = await timed(() => bulk(items));
  const changed = items.filter((_, i) => i % Math.floor(size / 10) === 0).slice(0, 10).map((x) => ({ ...x, price: '19900元/吨' }));
  const change = await bulk(changed);
  const malformed = await bulk([
    { ref: 'BAD-1', kind: '卖', category: '钢管', region: '南昌', title: '供应钢管一批货', price: '18500元/吨' },
    { ref: 'BAD-2', kind: '供应', category: '钢铁侠', region: '南昌', title: '供应钢管一批货', price: '18500元/吨' },
    { ref: 'BAD-3', kind: '供应', category: '钢管', region: '火星', title: '供应钢管一批货', price: '很便宜' },
    { kind: '供应', category: '钢管', region: '南昌', title: '没有编号的一条', price: '100' },
    { ref: 'BAD-5', kind: '供应', category: '钢管', region: '南昌', title: '短', price: '100' },
  ]);

  const firstId = load.value.results[0]!.id!;
  const form = new FormData();
  form.append('image', new Blob([photo as Uint8Array<ArrayBuffer>]), 'photo.jpg');
  const image = await call('POST', `/api/v1/listings/${firstId}/images`, form);

  const reconcile = await timed(async () => {
    const refs = new Set<string>();
    let next: string | null = '/api/v1/listings?mine=1&limit=500';
    let pages = 0;
    let last: Answer | undefined;
    while (next) {
      last = await call('GET', next);
      if (last.status !== 200) throw new Error(`mine=1 answered ${last.status}: ${JSON.stringify(last.json)}`);
      for (const l of last.json.items as { ref: string }[]) refs.add(l.ref);
      next = last.json.next;
      pages++;
    }
    return { refs, pages, remaining: Number(last?.headers.get('ratelimit-remaining')) };
  });
  progress('done');

  return {
    categories: subcategories,
    load: { ms: load.ms, calls: Math.ceil(size / BULK_SIZE), summary: load.value.summary },
    reload: { ms: reload.ms, summary: reload.value.summary },
    change: { summary: change.summary },
    malformed: { summary: malformed.summary, errors: malformed.results.map((r) => r.errors) },
    image: { status: image.status, images: image.json?.images?.length ?? 0 },
    reconcile: {
      ms: reconcile.ms,
      pages: reconcile.value.pages,
      listings: reconcile.value.refs.size,
      refsMatch: items.every((x) => reconcile.value.refs.has(x.ref)),
    },
    rateLimitRemaining: reconcile.value.remaining,
  };
}
