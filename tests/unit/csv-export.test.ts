// The one CSV writer: what a member typed can never run as a formula when the file is opened in a spreadsheet.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, csvDocument } from '../../src/server/csv.ts';

describe('csvCell', () => {
  it('neutralises every cell a spreadsheet would read as a formula', () => {
    for (const evil of ['=HYPERLINK("https://evil.example","点击")', '+1+cmd|" /C calc"!A0', '-2+3', '@SUM(A1:A9)', '\t=1+1', '\r=1+1']) {
      const cell = (parse(csvCell(evil)) as string[][])[0]![0];
      expect(cell, JSON.stringify(evil)).toBe(`'${evil}`);
    }
  });

  it('writes ordinary text and our own numbers as they are, quoting what CSV needs quoted', () => {
    expect(csvCell('螺纹钢 HRB400')).toBe('螺纹钢 HRB400');
    expect(csvCell('SKU-001')).toBe('SKU-001');
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell('3,850')).toBe('"3,850"');
    expect(csvCell('他说"好"')).toBe('"他说""好"""');
    expect(csvCell('两行\n说明')).toBe('"两行\n说明"');
  });
});

describe('csvDocument', () => {
  it('is UTF-8 with a BOM and CRLF, and reads back cell for cell', () => {
    const rows = [
      ['编号', '标题', '价格'],
      ['A-1', '=HYPERLINK("x")', 3850],
    ];
    const csv = csvDocument(rows);
    expect(csv.startsWith('\uFEFF编号,标题,价格\r\n')).toBe(true);
    expect(parse(csv.slice(1))).toEqual([['编号', '标题', '价格'], ['A-1', `'=HYPERLINK("x")`, '3850']]);
  });
});
