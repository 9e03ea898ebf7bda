// XML text for sitemaps and feeds. Every value written into XML passes through escapeXml.

/** Escapes the five XML entities and drops characters XML 1.0 forbids (a pasted control character would make the whole file unreadable). */
export function escapeXml(text: string): string {
  // Most text (every sitemap URL) has nothing to change: one test instead of two replacements and a copy.
  if (PLAIN.test(text)) return text;
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

// Printable characters of the Basic Multilingual Plane but the five entities and the surrogates (pairs take the long way).
const PLAIN = /^[\t\n\r !#-%(-;=?-\uD7FF\uE000-\uFFFD]*$/;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

const DAY_MS = 86_400_000;
// The date part by day number: a sitemap chunk writes a thousand times in a few hundred days, and a Date per URL was
// most of the time spent writing one.
const days = new Map<number, string>();
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** W3C datetime (what sitemaps want), in UTC, to the second. */
export function w3cDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let date = days.get(day);
  if (date === undefined) {
    const iso = new Date(day * DAY_MS).toISOString();
    // Years past 9999 print with a sign and six digits: written whole, not cached.
    if (iso.length !== 24) return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (days.size >= 10_000) days.clear();
    days.set(day, (date = iso.slice(0, 11)));
  }
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  return `${date}${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}Z`;
}

/** RFC 822 date (what RSS wants), in GMT. */
export function rfc822Date(ms: number): string {
  return new Date(ms).toUTCString();
}
