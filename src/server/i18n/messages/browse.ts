// Messages of the browse pages (region, industry, region x industry): the kind tabs, the sort and the page numbers.
export const zh = {
  'browse.tabs': '信息类型',
  'browse.tabAll': '全部',
  'browse.sort': '排序',
  'browse.sortNewest': '最新',
  'browse.sortPrice': '价格',
  'pagination.first': '首页',
  'pagination.last': '末页',
  'pagination.pageN': '第 {page} 页',
  'pagination.jumpLabel': '跳到第几页（共 {pages} 页）',
  'pagination.jump': '跳转',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'browse.tabs': 'Kind of listing',
  'browse.tabAll': 'All',
  'browse.sort': 'Sort',
  'browse.sortNewest': 'Newest',
  'browse.sortPrice': 'Price',
  'pagination.first': 'First',
  'pagination.last': 'Last',
  'pagination.pageN': 'Page {page}',
  'pagination.jumpLabel': 'Go to page (of {pages})',
  'pagination.jump': 'Go',
};
