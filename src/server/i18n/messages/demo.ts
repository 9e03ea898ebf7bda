// Messages about the demo data a first start writes (sample companies and listings).
export const zh = {
  'demo.banner': '示例数据：这家企业及其信息由系统生成，仅用于演示，并非真实企业，请勿联系。',
} as const;

export const en: Record<keyof typeof zh, string> = {
  'demo.banner': 'Sample data: this company and its listings were generated to demonstrate the site; it is not a real business, please do not contact it.',
};
