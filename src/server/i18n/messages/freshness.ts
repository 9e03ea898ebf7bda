// Messages of freshness: the expiry reminder, its one-click page, "confirmed x days ago" on listing pages.
export const zh = {
  'freshness.title': '信息仍然有效',
  'freshness.renewed': '已确认，信息有效期延长至 {date}。',
  'freshness.alreadyRenewed': '这条信息已经续期，无需再次确认。',
  'freshness.badLink': '这个链接无效或不完整，请使用邮件中的完整链接，或在会员中心续期。',
  'freshness.expiringSoon': '3 天内到期，仍有效请续期',
  'freshness.confirmedToday': '今天确认有效',
  'freshness.confirmedDaysAgo': '{n} 天前确认有效',
  'freshness.mail.subject': '您的信息“{title}”将在 3 天后到期',
  'freshness.mail.body': '您发布的“{title}”将于 {date} 到期。如果仍然有效，点击下面的链接即可续期，不需要登录。',
  'freshness.mail.stillAvailable': '仍然有效，续期',
  'freshness.mail.open': '查看信息',
};

export const en: Record<keyof typeof zh, string> = {
  'freshness.title': 'Still available',
  'freshness.renewed': 'Confirmed: the listing now runs until {date}.',
  'freshness.alreadyRenewed': 'This listing has already been renewed; nothing more to do.',
  'freshness.badLink': 'This link is not valid or is incomplete. Use the whole link from the mail, or renew from your dashboard.',
  'freshness.expiringSoon': 'expires within 3 days: renew it if still available',
  'freshness.confirmedToday': 'confirmed available today',
  'freshness.confirmedDaysAgo': 'confirmed available {n|a day|# days} ago',
  'freshness.mail.subject': 'Your listing “{title}” expires in 3 days',
  'freshness.mail.body': 'Your listing “{title}” expires on {date}. If it is still available, the link below renews it, no sign-in needed.',
  'freshness.mail.stillAvailable': 'Still available: renew it',
  'freshness.mail.open': 'Open the listing',
};
