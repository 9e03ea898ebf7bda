// Pure rules about listings: how a price reads, where a listing lives, whether the public may see it.
import type { ListingStatus } from '../../../db/schema.ts';
import { formatNumber, type Locale, type Translate } from '../i18n/index.ts';
import { localUnit } from '../i18n/units.ts';

export interface Price {
  priceMin: number | null;
  priceMax: number | null;
  priceUnit: string;
  negotiable: boolean;
}

/** Fen to a yuan amount: whole yuan without decimals, otherwise two. */
export function formatFen(locale: Locale, fen: number): string {
  return formatNumber(locale, fen / 100, fen % 100 === 0 ? 0 : 2);
}

/** 面议 when negotiable or unpriced; one price; or a range. The unit is the poster's own (吨, 件, 斤...). */
export function formatPrice(t: Translate, locale: Locale, p: Price): string {
  const low = p.priceMin ?? p.priceMax;
  const high = p.priceMax ?? p.priceMin;
  if (p.negotiable || low === null || high === null) return t('price.negotiable');
  const unit = localUnit(locale, p.priceUnit.trim());
  if (low === high) {
    const amount = formatFen(locale, low);
    return unit ? t('price.single', { amount, unit }) : t('price.singleNoUnit', { amount });
  }
  const min = formatFen(locale, Math.min(low, high));
  const max = formatFen(locale, Math.max(low, high));
  return unit ? t('price.range', { min, max, unit }) : t('price.rangeNoUnit', { min, max });
}

/**
 * What the public sees of a listing: `live` in lists and search; `expired` and `closed` still answer (with a
 * notice) so links and bookmarks keep working; `removed` is gone (410); a `draft` does not exist for them (404).
 */
export type Visibility = 'live' | 'expired' | 'closed' | 'gone' | 'hidden';

export function visibility(l: { status: ListingStatus; expiresAt: number | null }, now: number): Visibility {
  switch (l.status) {
    case 'active':
      return l.expiresAt !== null && l.expiresAt <= now ? 'expired' : 'live';
    case 'expired':
      return 'expired';
    case 'closed':
      return 'closed';
    case 'removed':
    case 'suspended':
      return 'gone';
    case 'draft':
    case 'pending':
    case 'rejected':
      return 'hidden';
  }
}
