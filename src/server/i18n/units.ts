// English names of the units people write after 元/ and after a quantity (吨, 公斤, 平方米·月) and the units of the
// category attribute schema (吨/小时). Units are the poster's own free text: a unit we know is shown in English on
// English pages, a compound one part by part, anything else as typed.
import type { Locale } from './index.ts';

const EN_UNITS: Record<string, string> = {
  吨: 't', 公斤: 'kg', 千克: 'kg', 克: 'g', 斤: 'jin', 两: 'liang',
  米: 'm', 厘米: 'cm', 毫米: 'mm', 公里: 'km', 英寸: 'in',
  平方米: 'm²', 平米: 'm²', 立方米: 'm³', 方: 'm³', 亩: 'mu', 升: 'L', 毫升: 'mL',
  件: 'piece', 个: 'piece', 只: 'piece', 块: 'piece', 根: 'piece', 条: 'piece', 把: 'piece', 支: 'piece',
  台: 'unit', 套: 'set', 双: 'pair', 张: 'sheet', 卷: 'roll', 株: 'plant', 棵: 'tree', 头: 'head',
  箱: 'box', 盒: 'box', 袋: 'bag', 包: 'pack', 瓶: 'bottle', 桶: 'drum', 柜: 'container', 车: 'truckload',
  辆: 'vehicle', 批: 'lot', 份: 'copy', 项: 'job', 次: 'time', 趟: 'trip', 人: 'person', 层: 'layer',
  年: 'year', 月: 'month', 天: 'day', 日: 'day', 小时: 'hour', 分钟: 'min', 马力: 'hp',
};
// Multipliers written in front of a unit (万张 = 10,000 sheets).
const EN_MULTIPLIERS: Record<string, string> = { 千: '1,000 ', 万: '10,000 ' };

function englishUnit(part: string): string {
  const known = EN_UNITS[part];
  if (known) return known;
  const multiplier = EN_MULTIPLIERS[part[0] ?? ''];
  const rest = multiplier ? EN_UNITS[part.slice(1)] : undefined;
  return multiplier && rest ? multiplier + rest : part;
}

/** A unit in the reader's language: 吨 -> t, 公斤/小时 -> kg/hour, 平方米·月 -> m²·month; Chinese pages keep it. */
export function localUnit(locale: Locale, unit: string): string {
  if (locale !== 'en') return unit;
  return unit.trim().replace(/[^/·\s]+/g, englishUnit);
}
