// XML text for sitemaps and feeds. Every value written into XML passes through escapeXml.

/** Escapes the five XML entities and drops characters XML 1.0 forbids (a pasted control character would make the whole file unreadable). */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** W3C datetime (what sitemaps want), in UTC. */
export function w3cDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 822 date (what RSS wants), in GMT. */
export function rfc822Date(ms: number): string {
  return new Date(ms).toUTCString();
}
