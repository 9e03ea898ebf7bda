// Page numbers from URLs: `?page=` absent is page 1; anything but a plain positive integer is no page at all (404),
// so crawlers never see two URLs for one page and junk never reaches SQL.
export const PAGE_SIZE = 20;
/** Deep pages of a browse list cost an OFFSET scan each; past this, sitemaps are the way to every listing. */
export const MAX_PAGE = 100;

export function parsePage(raw: string | null): number | null {
  if (raw === null) return 1;
  if (!/^[1-9]\d{0,5}$/.test(raw)) return null;
  const page = Number(raw);
  return page <= MAX_PAGE ? page : null;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pages: number;
}

export function pageCount(total: number, pageSize = PAGE_SIZE): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.ceil(total / pageSize)));
}
