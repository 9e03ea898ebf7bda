import { describe, expect, it } from 'vitest';
import { translator } from '../../src/server/i18n/index.ts';
import { formatFen, formatPrice, visibility } from '../../src/server/listings/rules.ts';

const zh = translator('zh-CN');
const en = translator('en');
const price = (priceMin: number | null, priceMax: number | null, priceUnit = '吨', negotiable = false) => ({
  priceMin,
  priceMax,
  priceUnit,
  negotiable,
});

describe('formatFen', () => {
  it('shows whole yuan without decimals and with thousands separators', () => {
    expect(formatFen('zh-CN', 1_250_000)).toBe('12,500');
  });
  it('shows fen as two decimals', () => {
    expect(formatFen('zh-CN', 350)).toBe('3.50');
    expect(formatFen('zh-CN', 5)).toBe('0.05');
  });
});

describe('formatPrice', () => {
  it('reads a single price per unit', () => {
    expect(formatPrice(zh, 'zh-CN', price(1_250_000, 1_250_000))).toBe('12,500 元/吨');
    expect(formatPrice(en, 'en', price(1_250_000, 1_250_000))).toBe('¥12,500/t'); // the unit in English
  });

  it('reads a range low to high, even when stored the other way round', () => {
    expect(formatPrice(zh, 'zh-CN', price(300, 800, '斤'))).toBe('3–8 元/斤');
    expect(formatPrice(zh, 'zh-CN', price(800, 300, '斤'))).toBe('3–8 元/斤');
  });

  it('treats one missing bound as a single price', () => {
    expect(formatPrice(zh, 'zh-CN', price(null, 990, '件'))).toBe('9.90 元/件');
  });

  it('says 面议 when negotiable or unpriced', () => {
    expect(formatPrice(zh, 'zh-CN', price(100, 200, '吨', true))).toBe('面议');
    expect(formatPrice(zh, 'zh-CN', price(null, null))).toBe('面议');
    expect(formatPrice(en, 'en', price(null, null))).toBe('Negotiable');
  });

  it('leaves the unit out when there is none', () => {
    expect(formatPrice(zh, 'zh-CN', price(10_000, 10_000, ' '))).toBe('100 元');
  });
});

describe('visibility', () => {
  const now = Date.UTC(2026, 10, 24);
  it('is live while active and unexpired, expired after', () => {
    expect(visibility({ status: 'active', expiresAt: now + 1 }, now)).toBe('live');
    expect(visibility({ status: 'active', expiresAt: now }, now)).toBe('expired');
    expect(visibility({ status: 'expired', expiresAt: now + 1 }, now)).toBe('expired');
  });
  it('keeps closed pages, answers gone for removed and hides drafts', () => {
    expect(visibility({ status: 'closed', expiresAt: null }, now)).toBe('closed');
    expect(visibility({ status: 'removed', expiresAt: null }, now)).toBe('gone');
    expect(visibility({ status: 'draft', expiresAt: null }, now)).toBe('hidden');
  });
});
