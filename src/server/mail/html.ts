// HTML for mail bodies: every interpolated value is escaped unless it was itself built by `html`, so a name or a
// message typed by anyone shows as text in the reader's mail program.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Value = string | number | SafeHtml | null | undefined | false | readonly Value[];

function write(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(write).join('');
  return escapeHtml(String(v));
}

/** html`<p>${text}</p>`: the text is escaped, nested html`` fragments are kept. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => (out += write(v) + strings[i + 1]!));
  return new SafeHtml(out);
}

/** Text with its line breaks kept (a message someone typed), escaped. */
export function paragraphs(text: string): SafeHtml {
  return new SafeHtml(
    text
      .split(/\n{2,}/)
      .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
      .join(''),
  );
}
