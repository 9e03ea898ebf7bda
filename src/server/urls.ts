// Every public URL of a thing, built in one place so links, canonicals and sitemaps agree.
export function listingPath(listing: { id: number; slug: string }): string {
  return listing.slug ? `/listing/${listing.id}-${listing.slug}` : `/listing/${listing.id}`;
}

/** `/listing/<id>-<slug>`: the id decides; the slug is only for people and may be stale or missing. */
export function parseListingParam(param: string | undefined): { id: number; slug: string } | null {
  const m = /^([1-9]\d{0,14})(?:-([a-z0-9-]*))?$/.exec(param ?? '');
  return m ? { id: Number(m[1]), slug: m[2] ?? '' } : null;
}

export function companyPath(company: { slug: string }): string {
  return `/company/${company.slug}`;
}

export function regionPath(region: { slug: string }, category?: { slug: string } | null): string {
  return category ? `/region/${region.slug}/${category.slug}` : `/region/${region.slug}`;
}

export function categoryPath(category: { slug: string }): string {
  return `/category/${category.slug}`;
}
