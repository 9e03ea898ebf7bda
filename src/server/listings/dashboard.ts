// The member's own listings, by status as the member sees it: an active listing past its expiry is expired here
// too, even before the sweep has marked it.
import { and, desc, eq, or, sql, type SQL } from 'drizzle-orm';
import { listings } from '../../../db/schema.ts';
import { findCompanyByOwner } from '../companies/queries.ts';
import type { Db } from '../db.ts';
import { PAGE_SIZE, pageCount } from '../pagination.ts';
import { getTaxonomy } from '../taxonomy/taxonomy.ts';
import { liveCondition } from './queries.ts';
import { pendingViews } from './views.ts';

export const DASHBOARD_TABS = ['active', 'review', 'expired', 'closed', 'draft'] as const;
export type DashboardTab = (typeof DASHBOARD_TABS)[number];

/** Past expiry but not yet swept: expired to the member already. */
const unswept = (now: number) => and(eq(listings.status, 'active'), sql`+${listings.expiresAt} <= ${now}`)!;

function tabCondition(tab: DashboardTab, now: number): SQL {
  switch (tab) {
    case 'active':
      return liveCondition(now);
    case 'expired':
      return or(eq(listings.status, 'expired'), unswept(now))!;
    case 'review':
      return or(eq(listings.status, 'pending'), eq(listings.status, 'rejected'))!;
    case 'closed':
      return eq(listings.status, 'closed');
    case 'draft':
      return eq(listings.status, 'draft');
  }
}

export function parseTab(raw: string | null): DashboardTab {
  return DASHBOARD_TABS.includes(raw as DashboardTab) ? (raw as DashboardTab) : 'active';
}

/** The dashboard: the user's company (null until created), counts per tab, and one page of the chosen tab. */
export function getDashboard(db: Db, userId: string, tab: DashboardTab, page: number, now: number) {
  const company = findCompanyByOwner(db, userId) ?? null;
  const counts = Object.fromEntries(DASHBOARD_TABS.map((t) => [t, 0])) as Record<DashboardTab, number>;
  if (!company) return { company, counts, tab, items: [], page: 1, pages: 1, totalViews: 0 };
  const mine = eq(listings.companyId, company.id);
  // One pass over the company's listings for every tab's count and the views, instead of a query per tab.
  const tally = db
    .select({
      active: sql<number>`coalesce(sum(${tabCondition('active', now)}), 0)`,
      expired: sql<number>`coalesce(sum(${tabCondition('expired', now)}), 0)`,
      closed: sql<number>`coalesce(sum(${tabCondition('closed', now)}), 0)`,
      draft: sql<number>`coalesce(sum(${tabCondition('draft', now)}), 0)`,
      review: sql<number>`coalesce(sum(${tabCondition('review', now)}), 0)`,
      views: sql<number>`coalesce(sum(${listings.views}), 0)`,
    })
    .from(listings)
    .where(mine)
    .get();
  for (const t of DASHBOARD_TABS) counts[t] = Number(tally?.[t] ?? 0);
  const columns = {
    id: listings.id,
    slug: listings.slug,
    kind: listings.kind,
    title: listings.title,
    status: listings.status,
    categoryId: listings.categoryId,
    regionId: listings.regionId,
    priceMin: listings.priceMin,
    priceMax: listings.priceMax,
    priceUnit: listings.priceUnit,
    negotiable: listings.negotiable,
    views: listings.views,
    publishedAt: listings.publishedAt,
    expiresAt: listings.expiresAt,
    updatedAt: listings.updatedAt,
    moderationNote: listings.moderationNote,
  };
  const ofStatus = (where: SQL) => db.select(columns).from(listings).where(and(mine, where));
  // Each status is one range of (company_id, status, published_at) in date order. The expired and review tabs span
  // two statuses, so they merge two ordered ranges (UNION ALL) rather than sorting all of a large company's listings.
  const two = { expired: [eq(listings.status, 'expired'), unswept(now)], review: [eq(listings.status, 'pending'), eq(listings.status, 'rejected')] } as const;
  const rows = (tab === 'expired' || tab === 'review' ? ofStatus(two[tab][0]).unionAll(ofStatus(two[tab][1])) : ofStatus(tabCondition(tab, now)))
    .orderBy(desc(listings.publishedAt), desc(listings.id))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .all();
  const taxonomy = getTaxonomy(db);
  const items = rows.map((r) => ({
    ...r,
    views: r.views + pendingViews(r.id),
    category: taxonomy.categories.byId.get(r.categoryId),
    region: taxonomy.regions.byId.get(r.regionId),
  }));
  return { company, counts, tab, items, page, pages: pageCount(counts[tab]), totalViews: Number(tally?.views ?? 0) };
}
