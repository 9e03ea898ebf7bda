// Contact details do not belong in a title: titles are what lists and search show, and a phone number there turns a
// listing into an advertisement that skips the site's inquiry and contact rules. Pure.
import { normalizeText, widthFold } from './normalize.ts';

export type ContactKind = 'phone' | 'im' | 'url';

// Digits split by spaces, dashes or dots (138-1234-5678, 138 1234 5678) are read together.
const DIGIT_SEPARATORS = /(?<=\d)[\s\-–—.·_/]+(?=\d)/g;
const MOBILE = /(?<!\d)1[3-9]\d{9}(?!\d)/;
const LANDLINE = /(?<!\d)(0\d{2,3}\d{7,8}|400\d{7}|800\d{7})(?!\d)/;
const IM_WORDS = /(qq|扣扣|企鹅|微信|薇信|威信|维信|vx|v信|wx|wechat|weixin|薇|加v)/;
const URL = /(https?:\/\/|www\.)|[a-z0-9-]+\.(com|cn|net|org|cc|top|xyz|shop|vip|info|biz)(?![a-z])/;

/** What kind of contact detail a title carries, or null. */
export function contactInTitle(title: string): ContactKind | null {
  const folded = widthFold(title);
  const digits = folded.replace(DIGIT_SEPARATORS, '');
  if (MOBILE.test(digits) || LANDLINE.test(digits)) return 'phone';
  if (URL.test(folded)) return 'url';
  // "微信: abc_123", "Q Q 12345678", "加V ganjiang88": an IM word followed by an id of 5 or more letters or digits.
  const compact = normalizeText(title);
  const im = IM_WORDS.exec(compact);
  if (im && /^[a-z0-9_-]{5,}/.test(compact.slice(im.index + im[0].length).replace(/^号/, ''))) return 'im';
  return null;
}
