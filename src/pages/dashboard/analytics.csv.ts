// The seller analytics of /dashboard/analytics as a CSV download (same range and listing).
import type { APIRoute } from 'astro';
import { requireUser } from '../../lib/guard.ts';
import { load } from '../../lib/route.ts';
import { analyticsCsv, analyticsReport, parseRange } from '../../server/analytics/report.ts';
import { parseId } from '../../server/urls.ts';

export const GET: APIRoute = ({ locals, url }) => {
  const user = requireUser(locals, url);
  if (user instanceof Response) return user;
  const range = parseRange(url.searchParams.get('range'));
  const report = load((db, now) => analyticsReport(db, user.id, { range, listingId: parseId(url.searchParams.get('listing')) }, now));
  if (report instanceof Response) return report;
  const name = `analytics-${report.listing ? `listing-${report.listing.id}` : 'company'}-${range}d.csv`;
  return new Response(analyticsCsv(report, locals.t), {
    headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'private, no-store' },
  });
};
