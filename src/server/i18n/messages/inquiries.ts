// Messages of one concept (inquiries: the forms, the inbox, the mails, contact details, response figures), in both
// languages side by side; zh-CN.ts and en.ts merge every concept's file.
export const zh = {
  'inquiry.placeholder': '',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'inquiry.placeholder': '',
};
