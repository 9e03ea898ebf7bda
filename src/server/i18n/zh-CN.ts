// The Simplified Chinese catalogue: the default, and the source of truth for which messages exist. The pages of the
// site frame live here; each later concept keeps its messages (both languages) in messages/<concept>.ts.
import * as account from './messages/account.ts';
import * as analytics from './messages/analytics.ts';
import * as api from './messages/api.ts';
import * as browse from './messages/browse.ts';
import * as demo from './messages/demo.ts';
import * as favourites from './messages/favourites.ts';
import * as freshness from './messages/freshness.ts';
import * as inquiries from './messages/inquiries.ts';
import * as leads from './messages/leads.ts';
import * as mail from './messages/mail.ts';
import * as media from './messages/media.ts';
import * as moderation from './messages/moderation.ts';
import * as posting from './messages/posting.ts';
import * as savedSearches from './messages/saved-searches.ts';
import * as search from './messages/search.ts';
import * as seo from './messages/seo.ts';
import * as trust from './messages/trust.ts';
import * as webhooks from './messages/webhooks.ts';

export const concepts = { account, analytics, api, browse, demo, favourites, freshness, inquiries, leads, mail, media, moderation, posting, savedSearches, search, seo, trust, webhooks };

const core = {
  'site.tagline': '企业供应、求购信息发布与查询平台',
  'nav.home': '首页',
  'nav.regions': '地区',
  'nav.categories': '行业分类',
  'nav.main': '主导航',
  'nav.breadcrumb': '当前位置',
  'header.search': '搜索',
  'header.searchPlaceholder': '搜索产品、企业',
  'header.account': '账户',
  'header.menu': '菜单',
  'header.login': '登录',
  'header.register': '免费注册',
  'header.dashboard': '会员中心',
  'kind.supply': '供应',
  'kind.demand': '求购',
  'home.title': '{site} - {tagline}',
  'home.description': '{site}汇集{region}各地企业的供应和求购信息：共 {listings} 条有效信息，{companies} 家企业。按城市、按行业查找货源与买家。',
  'home.latestSupply': '最新供应',
  'home.latestDemand': '最新求购',
  'home.byCity': '按城市浏览',
  'home.byCategory': '按行业浏览',
  'home.stats': '{listings} 条有效信息 · {companies} 家企业',
  'home.more': '更多',
  'count.listings': '{n} 条',
  'price.negotiable': '面议',
  'price.single': '{amount} 元/{unit}',
  'price.singleNoUnit': '{amount} 元',
  'price.range': '{min}–{max} 元/{unit}',
  'price.rangeNoUnit': '{min}–{max} 元',
  'listing.price': '价格',
  'listing.quantity.supply': '供应数量',
  'listing.quantity.demand': '求购数量',
  'listing.moq': '起订量',
  'listing.attributes': '产品参数',
  'listing.description': '详细说明',
  'listing.posted': '发布时间',
  'listing.updated': '更新时间',
  'listing.expires': '有效期至',
  'listing.category': '行业分类',
  'listing.region': '所在地区',
  'listing.noImage': '暂无图片',
  'listing.imageAlt': '{title} 图片 {n}',
  'listing.expiredNotice': '此信息已过期，仅供参考。',
  'listing.closedNotice': '此信息已被发布者关闭，仅供参考。',
  'listing.title': '{title} - {kind} - {region}{category} - {site}',
  'listing.moreFromCompany': '该企业的其他信息',
  'gone.title': '信息已删除',
  'gone.body': '您访问的信息已被删除，无法再查看。',
  'company.card': '企业信息',
  'company.verified': '已认证',
  'company.verifiedTitle': '由平台于 {date} 认证',
  'company.contact': '联系人',
  'company.phone': '电话',
  'company.address': '地址',
  'company.website': '网址',
  'company.mainProducts': '主营产品',
  'company.profile': '企业简介',
  'company.listings': '该企业发布的信息（{n} 条）',
  'company.since': '入驻时间',
  'company.view': '查看企业详情',
  'company.title': '{name} - {region} - {site}',
  'region.title': '{region}供求信息 - {site}',
  'region.categoryTitle': '{region}{category}供求信息 - {site}',
  'region.heading': '{region}供求信息',
  'region.categoryHeading': '{region}{category}供求信息',
  'region.description': '{region}最新企业供应与求购信息，共 {n} 条。',
  'region.subRegions': '下属区县',
  'region.allOf': '{region}全部',
  'region.narrowByCategory': '按行业筛选',
  'category.title': '{category}供求信息 - {site}',
  'category.heading': '{category}供求信息',
  'category.description': '{region}{category}最新供应与求购信息，共 {n} 条。',
  'category.subcategories': '子分类',
  'category.narrowByRegion': '按地区筛选',
  'category.all': '全部行业',
  'regions.title': '全部地区 - {site}',
  'categories.title': '全部行业分类 - {site}',
  'invalid.region': '请选择所在城市或区县',
  'invalid.category': '请选择行业分类',
  'invalid.value': '请填写正确的内容',
  'security.crossSite': '拒绝来自其他网站的提交。请在本站页面上重新操作。',
  'security.bodyTooLargeTitle': '提交的内容过大',
  'security.bodyTooLarge': '本页最多接受 {max} 的内容，这次提交超出了上限，没有保存任何内容。请减少或缩小上传的文件后重试。',
  'security.bodyMalformedTitle': '无法读取提交的内容',
  'security.bodyMalformed': '提交的内容不完整或格式不对，没有保存任何内容。请返回页面重新提交。',
  'list.empty': '暂时没有符合条件的信息。',
  'list.total': '共 {n} 条',
  'pagination.label': '分页',
  'pagination.prev': '上一页',
  'pagination.next': '下一页',
  'pagination.page': '第 {page} / {pages} 页',
  'pagination.titleSuffix': '第{page}页',
  'pagination.capped': '共 {total} 条，列表只翻到最新的 {shown} 条；按地区或行业缩小范围，或用搜索，可找到其余信息。',
  'notFound.title': '页面不存在',
  'notFound.body': '您访问的页面不存在或已被移除。',
  'notFound.home': '返回首页',
  'error.title': '出错了',
  'error.body': '服务器暂时无法处理您的请求，请稍后再试。',
  'footer.about': '{site}：服务{region}企业的供求信息平台。',
  'footer.copyright': '© {year} {site}',
  'date.format': '{date}',
} as const;

export const coreZh = core;

export const zhCN = {
  ...core,
  ...account.zh,
  ...analytics.zh,
  ...api.zh,
  ...browse.zh,
  ...demo.zh,
  ...favourites.zh,
  ...freshness.zh,
  ...inquiries.zh,
  ...leads.zh,
  ...mail.zh,
  ...media.zh,
  ...moderation.zh,
  ...posting.zh,
  ...savedSearches.zh,
  ...search.zh,
  ...seo.zh,
  ...trust.zh,
  ...webhooks.zh,
} as const;

export type MessageKey = keyof typeof zhCN;
export type Catalogue = Record<MessageKey, string>;
