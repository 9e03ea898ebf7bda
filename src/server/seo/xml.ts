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

/** W3C datetime (what sitemaps want), in UTC. */
export function w3cDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  // Years 0-9999 (every real date) print as YYYY-MM-DDTHH:mm:ss.sssZ: cut the milliseconds without a regex.
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 822 date (what RSS wants), in GMT. */
export function rfc822Date(ms: number): string {
  return new Date(ms).toUTCString();
}
