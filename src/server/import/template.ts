// The CSV template the import page offers: the Chinese headers people fill in Excel, and two example rows that import
// as they are (a supply with a price, a demand with 面议), using this site's own categories and regions.
import { csvDocument } from '../csv.ts';
import type { Taxonomy } from '../taxonomy/taxonomy.ts';

const HEADERS = ['编号', '类型', '标题', '分类', '地区', '价格', '单位', '数量', '数量单位', '起订量', '有效期', '说明'];

/** UTF-8 with a BOM, so Excel opens the Chinese headers correctly; CRLF line ends as Excel writes them. */
export function importTemplate(taxonomy: Taxonomy): string {
  const category = [...taxonomy.categories.byId.values()].find((c) => c.parentId !== null);
  const city = taxonomy.regions.children(taxonomy.rootRegion.id)[0];
  const county = city ? (taxonomy.regions.children(city.id)[0] ?? city) : taxonomy.rootRegion;
  const rows = [
    HEADERS,
    ['SKU-001', '供应', `供应${category?.nameZh ?? ''}现货，量大从优`, category?.nameZh ?? '', county.nameZh, '3850', '吨', '500', '吨', '10', '30', '厂家直供，可开发票'],
    ['SKU-002', '求购', `求购${category?.nameZh ?? ''}，长期合作`, category?.nameZh ?? '', county.nameZh, '面议', '', '200', '吨', '', '90', ''],
  ];
  return csvDocument(rows);
}
