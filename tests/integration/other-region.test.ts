// Another province is another regions file: no code changes.
import { describe, expect, it } from 'vitest';
import { getHomePage } from '../../src/server/browse/index.ts';
import { prepareSite } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { getTaxonomy } from '../../src/server/taxonomy/taxonomy.ts';
import { freshDb } from '../helpers/db.ts';

describe('serving Ningxia instead of Jiangxi', () => {
  const db = freshDb({ seed: false });
  const cfg = parseConfig({ REGIONS_FILE: 'tests/fixtures/regions-ningxia.json', DEMO_LISTINGS: '300' });
  prepareSite(db, cfg);

  it('loads the regions from the file', () => {
    const { rootRegion, regions } = getTaxonomy(db);
    expect(rootRegion.nameZh).toBe('宁夏回族自治区');
    expect(regions.children(rootRegion.id).map((r) => r.shortZh)).toEqual(['银川', '石嘴山', '吴忠']);
  });

  it('spreads demo companies and listings over its cities only', () => {
    const home = getHomePage(db, Date.now());
    expect(home.province.slug).toBe('ningxia');
    expect(home.cities.map((c) => c.item.slug)).toEqual(['yinchuan', 'shizuishan', 'wuzhong']);
    expect(home.cities.every((c) => c.count > 0)).toBe(true);
    expect(home.cities.reduce((n, c) => n + c.count, 0)).toBe(home.totals.listings);
    expect(home.latestSupply[0]?.companyName).toMatch(/^(银川|石嘴山|吴忠)/);
  });
});
