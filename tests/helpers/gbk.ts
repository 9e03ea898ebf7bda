// Encodes text as GBK, the way Excel in China saves a CSV, for tests of the import's encoding detection. Node has no
// GBK encoder; the table is built by decoding every two-byte GBK code with the GB18030 decoder.
let table: Map<string, number> | undefined;

function gbkTable(): Map<string, number> {
  if (table) return table;
  table = new Map();
  const decoder = new TextDecoder('gb18030');
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const ch = decoder.decode(new Uint8Array([lead, trail]));
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, (lead << 8) | trail);
    }
  }
  return table;
}

export function encodeGbk(text: string): Uint8Array {
  const t = gbkTable();
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const gbk = t.get(ch);
      if (gbk === undefined) throw new Error(`no GBK code for ${ch}`);
      out.push(gbk >> 8, gbk & 0xff);
    }
  }
  return new Uint8Array(out);
}
