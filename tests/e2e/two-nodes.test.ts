// Two app processes on one data folder, as two nodes behind a balancer on one host: a company's daily posting limit
// is one limit for both when RATE_LIMIT_STORE=sqlite. With each process counting in its own memory, the same posts
// get twice the limit through (the gap the database store closes).
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../scripts/lib/server-process.ts';
import { createApiToken } from '../../src/server/api-tokens/index.ts';
import { openDatabase } from '../../src/server/db.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { seedTaxonomy } from '../../src/server/taxonomy/seed.ts';
import { makeCompany, makeUser, REFERENCE_FILES, tempDir } from '../helpers/db.ts';

const LIMIT = 3;
const running: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

/** A data folder with an unverified company, its API token and the places to post to. */
function prepare(): { dataDir: string; token: string; category: string; region: string } {
  const dataDir = path.join(tempDir(), 'data');
  const db = openDatabase(path.join(dataDir, 'site.db'));
  try {
    seedTaxonomy(db, REFERENCE_FILES);
    const owner = makeUser(db);
    makeCompany(db, { ownerId: owner.id });
    const { token } = createApiToken(db, owner.id, { name: 'erp' }, Date.now());
    const { categories, regions, rootRegion } = getTaxonomy(db);
    const category = [...categories.byId.values()].find((c) => c.parentId !== null)!.slug;
    return { dataDir, token, category, region: regions.children(rootRegion.id)[0]!.slug };
  } finally {
    db.$client.close();
  }
}

/** Posts `n` distinct listings, taking turns between the nodes; the statuses in order. */
async function postInTurns(nodes: RunningServer[], n: number, { token, category, region }: ReturnType<typeof prepare>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${nodes[i % nodes.length]!.url}/api/v1/listings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'supply',
        category,
        region,
        title: `${['螺纹钢', '冷轧板', '镀锌管', '角钢', '工字钢', '槽钢', '扁钢', '圆钢'][i]} 第${i + 1}批现货`,
        description: `批号${1000 + i * 37}，规格${10 + i * 3}毫米，数量${i + 2}吨，厂家直供。`,
        price: String(3000 + i * 10),
        priceUnit: '吨',
      }),
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

describe('two app processes on one database', () => {
  it.each([
    ['sqlite', LIMIT],
    ['memory', 2 * LIMIT],
  ])('RATE_LIMIT_STORE=%s: a company posting through both nodes gets %i listings in', async (store, accepted) => {
    const fixture = prepare();
    const env = { DATA_DIR: fixture.dataDir, DEMO_LISTINGS: '0', RATE_LIMIT_STORE: store, POSTING_LIMIT_PER_DAY: String(LIMIT) };
    // The second starts once the first has prepared the database, as in `npm run bench:load -- --nodes 2`.
    const first = await startServer(env);
    running.push(first);
    const second = await startServer(env);
    running.push(second);

    const statuses = await postInTurns([first, second], 2 * LIMIT + 2, fixture);
    expect(statuses.filter((s) => s === 201)).toHaveLength(accepted);
    // Past the limit every post is refused, whichever node takes it, and nothing else goes wrong.
    expect(statuses.slice(0, accepted).every((s) => s === 201)).toBe(true);
    expect(new Set(statuses.slice(accepted))).toEqual(new Set([422]));
    await Promise.all([first.stop(), second.stop()]);
  });
});
