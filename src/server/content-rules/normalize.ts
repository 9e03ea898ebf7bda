// One normal form for matching words people try to disguise: full-width -> half-width (NFKC), upper -> lower case,
// traditional -> simplified, and every space, symbol or punctuation mark dropped, so "枪 支", "槍支", "枪_支" and
// "ＱＱ" all read the same. Pure; used on the stored word list and on each text checked.

// Traditional characters seen in prohibited-goods and spam wording, with their simplified forms. A full conversion
// table (OpenCC's has ~4,000 characters) would need a dependency; this covers the words the list is made of, and
// an administrator adds a word in either script (it is stored normalised, so one entry matches both).
const TRADITIONAL =
  '槍枪彈弹藥药麻麻黃黄賭赌幣币證证發发獵猎氣气軍军製制監监聽听竊窃銀银貸贷債债錢钱賣卖買买違违處处裝装備备偽伪僞伪鈔钞騙骗號号碼码網网絡络國国際际黨党標标價价廣广華华東东門门體体學学會会動动場场電电話话機机車车開开關关長长實实點点業业專专產产萬万與与兩两個个們们來来這这時时過过還还說说對对無无當当進进經经線线質质種种頭头問问題题樣样見见間间聲声麼么讓让隻只條条優优壓压飛飞鐵铁鋼钢鋁铝銅铜塊块噸吨聯联繫系係系訊讯輸输運运灣湾戰战術术衛卫減减淨净熱热麗丽瘋疯癮瘾嗎吗煙烟剋克劑剂醫医療疗愛爱獸兽類类屬属蠱蛊婦妇陰阴莖茎縮缩豐丰營营銷销詐诈騷骚擾扰衝冲鋒锋鏡镜瞄瞄準准閥阀鑰钥匙匙竊窃狀状爐炉';
const VARIANTS = new Map<string, string>();
for (let i = 0; i + 1 < TRADITIONAL.length; i += 2) VARIANTS.set(TRADITIONAL[i]!, TRADITIONAL[i + 1]!);

const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/gu;

/** Letters and digits only, half-width, lower case, simplified. */
export function normalizeText(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKC').toLowerCase().replace(NOT_LETTER_OR_DIGIT, '')) out += VARIANTS.get(ch) ?? ch;
  return out;
}

/** Half-width and lower case, spacing kept (for the patterns that read digits and words apart). */
export function widthFold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}
