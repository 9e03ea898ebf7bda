// Messages of one concept (mail), in both languages side by side; zh-CN.ts and en.ts merge every concept's file.
export const zh = {
  'mail.footer': '此邮件由{site}自动发送，请勿直接回复。',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'mail.footer': 'Sent automatically by {site}; replies to this address are not read.',
};
