// Messages of one concept (media), in both languages side by side; zh-CN.ts and en.ts merge every concept's file.
export const zh = {} as const;

export const en: Record<keyof typeof zh, string> = {};
