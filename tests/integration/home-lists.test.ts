// The home page's latest lists: newest first, at most two listings of any one company, still full when one company
// posted almost everything recently.
import { describe, expect, it } from 'vitest';
import { getHomePage, HOME_PER_COMPANY, latestPerCompany } from '../../src/server/browse/index.ts';
import { DAY, freshDb, makeCompany, makeListing } from '../helpers/db.ts';

const db = freshDb();
const now = Date.now();
const busy = makeCompany(db, { name: '南昌批发大户有限公司' });
const others = Array.from({ length: 12 }, (_, i) => makeCompany(db, { name: `赣州小企业${i + 1}有限公司` }));
// The busy company posted the 80 newest supply listings; each other company one older listing.
for (let i = 0; i < 80; i++) makeListing(db, busy.id, { title: `批发大户供应 ${i}`, publishedAt: now - i * 60_000 });
others.forEach((c, i) => makeListing(db, c.id, { title: `小企业供应 ${i}`, publishedAt: now - DAY - i * 60_000 }));
makeListing(db, busy.id, { kind: 'demand', title: '求购一', publishedAt: now - 1000 });
makeListing(db, busy.id, { kind: 'demand', title: '求购二', publishedAt: now - 2000 });
makeListing(db, busy.id, { kind: 'demand', title: '求购三', publishedAt: now - 3000 });

describe('home page latest lists', () => {
  it('shows at most two listings of one company, newest first, and fills the list with other companies', () => {
    const { latestSupply, latestDemand } = getHomePage(db, now);
    expect(latestSupply).toHaveLength(12);
    expect(latestSupply.filter((l) => l.companySlug === busy.slug).map((l) => l.title)).toEqual(['批发大户供应 0', '批发大户供应 1']);
    expect(latestSupply.slice(2).map((l) => l.title)).toEqual(others.slice(0, 10).map((_, i) => `小企业供应 ${i}`));
    expect(latestDemand.map((l) => l.title)).toEqual(['求购一', '求购二']);
  });

  it('a shorter list when only few companies have listings of the kind', () => {
    expect(latestPerCompany(db, 'demand', 12, HOME_PER_COMPANY, now)).toHaveLength(2);
  });
});
