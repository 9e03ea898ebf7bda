// A small XML 1.0 well-formedness check for sitemaps and feeds (no dependency): one root element, every tag
// closed in order, attributes quoted and unique, only the five predefined entities or character references, no
// stray `<` or `&`. Returns the problems found (none means well-formed) and the element names in document order.
export function checkXml(xml: string): { errors: string[]; elements: string[]; root: string | null } {
  const errors: string[] = [];
  const elements: string[] = [];
  const stack: string[] = [];
  let root: string | null = null;
  let i = 0;
  const name = /^[A-Za-z_][\w.:-]*/;
  const checkText = (text: string, at: number) => {
    if (text.includes('<')) errors.push(`stray < at ${at}`);
    for (const m of text.matchAll(/&([^;\s]*);?/g)) {
      if (!/^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) errors.push(`bad entity ${m[0]} at ${at + m.index!}`);
    }
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) return { errors: ['unterminated XML declaration'], elements, root };
    if (!/encoding="UTF-8"/i.test(xml.slice(0, end))) errors.push('the declaration does not say UTF-8');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== '') errors.push(`text outside the root element at ${i}`);
    checkText(text, i);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) return { errors: [...errors, 'unterminated comment'], elements, root };
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) return { errors: [...errors, 'unterminated CDATA'], elements, root };
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) return { errors: [...errors, `unterminated tag at ${lt}`], elements, root };
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const closing = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== closing) errors.push(`</${closing}> closes <${open}> at ${lt}`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const n = name.exec(body)?.[0];
      if (!n) {
        errors.push(`bad tag <${tag.slice(0, 20)}> at ${lt}`);
      } else {
        if (stack.length === 0) {
          if (root !== null) errors.push(`second root element <${n}> at ${lt}`);
          root = n;
        }
        elements.push(n);
        const attrs = body.slice(n.length);
        const seen = new Set<string>();
        const rest = attrs.replace(/\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/g, (_m, a: string, _q, dq?: string, sq?: string) => {
          if (seen.has(a)) errors.push(`duplicate attribute ${a} at ${lt}`);
          seen.add(a);
          checkText(dq ?? sq ?? '', lt);
          return '';
        });
        if (rest.trim() !== '') errors.push(`bad attributes in <${n}> at ${lt}: ${rest.trim().slice(0, 30)}`);
        if (!selfClosing) stack.push(n);
      }
    }
    i = gt + 1;
  }
  if (stack.length > 0) errors.push(`unclosed <${stack.join('>, <')}>`);
  if (root === null) errors.push('no root element');
  return { errors, elements, root };
}

/** The text of each element with the given name, entities decoded. */
export function xmlTexts(xml: string, element: string): string[] {
  const decode = (s: string) =>
    s.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);
  return [...xml.matchAll(new RegExp(`<${element}(?:\\s[^>]*)?>([^<]*)</${element}>`, 'g'))].map((m) => decode(m[1]!));
}
