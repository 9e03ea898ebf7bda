// Reading bulk-import files as companies save them: Excel's GBK or UTF-8 with a BOM, Chinese headers, quoted cells.
import { describe, expect, it } from 'vitest';
import {
  decodeCsv,
  ImportFileError,
  importKeyOf,
  MAX_ROWS,
  normalizeHeader,
  parseCsv,
  rowProblems,
} from '../../src/server/import/csv.ts';
import { encodeGbk } from '../helpers/gbk.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Text as UTF-16 with its byte-order mark, the way Excel saves "Unicode text" (le) or other tools may (be). */
function utf16(text: string, order: 'le' | 'be'): Uint8Array {
  const le = Buffer.from('\uFEFF' + text, 'utf16le');
  return order === 'le' ? le : le.swap16();
}
const BOM = '\uFEFF';

function fileError(fn: () => unknown): ImportFileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImportFileError) return e;
    throw e;
  }
  throw new Error('expected an ImportFileError');
}

describe('decodeCsv', () => {
  it('reads UTF-8 and falls back to GBK for bytes that are not UTF-8', () => {
    expect(decodeCsv(utf8('标题,价格'))).toBe('标题,价格');
    expect(decodeCsv(encodeGbk('标题,价格\n螺纹钢 HRB400,3850'))).toBe('标题,价格\n螺纹钢 HRB400,3850');
  });

  it('reads UTF-16 little- and big-endian by their byte-order mark (Excel\'s "Unicode text")', () => {
    const text = '标题\t价格\n螺纹钢 HRB400\t3850';
    expect(decodeCsv(utf16(text, 'le'))).toBe(text);
    expect(decodeCsv(utf16(text, 'be'))).toBe(text);
  });
});

describe('parseCsv of an Excel "Unicode text" file', () => {
  it('reads the tab-separated UTF-16 rows like a CSV', () => {
    const file = ['类型\t标题\t分类\t地区\t价格\t单位', '供应\t螺纹钢 HRB400\tsteel\tdonghu\t"3,850"\t吨', '求购\t收购废铜\tcopper\tjiujiang\t\t'].join('\r\n');
    for (const order of ['le', 'be'] as const) {
      const { rows, headers } = parseCsv(utf16(file, order));
      expect(headers, order).toMatchObject({ kind: '类型', title: '标题', price: '价格' });
      expect(rows.map((r) => [r.line, r.input.title, r.input.price]), order).toEqual([
        [2, '螺纹钢 HRB400', '3,850'],
        [3, '收购废铜', undefined],
      ]);
    }
  });
});

describe('normalizeHeader', () => {
  it('ignores case, spaces, full-width letters and hints in brackets', () => {
    expect(normalizeHeader(' 价格（元） ')).toBe('价格');
    expect(normalizeHeader('Price (yuan)')).toBe('price');
    expect(normalizeHeader('ＴＩＴＬＥ')).toBe('title');
  });
});

describe('parseCsv', () => {
  const csv = [
    '类型,标题,分类,地区,价格,单位,编号,属性.材质',
    '供应,螺纹钢 HRB400,steel,donghu,"3,850",吨,SKU-1,Q235',
    '',
    '求购,"收购废铜，',
    '要求纯度 99%",copper,jiujiang,,,,',
    ',,,,,,,',
    '供应,第三条,steel,donghu,12.5,件,SKU-3,',
  ].join('\n');

  it('maps Chinese headers to the contract names, with the line where each row starts', () => {
    const { rows, headers } = parseCsv(utf8(csv));
    expect(headers).toMatchObject({ kind: '类型', title: '标题', price: '价格', priceUnit: '单位', ref: '编号' });
    expect(rows.map((r) => r.line)).toEqual([2, 4, 7]);
    expect(rows[0]).toEqual({
      line: 2,
      ref: 'SKU-1',
      input: {
        kind: '供应',
        title: '螺纹钢 HRB400',
        category: 'steel',
        region: 'donghu',
        price: '3,850',
        priceUnit: '吨',
        attributes: { 材质: 'Q235' },
      },
    });
    expect(rows[1]!.input.title).toBe('收购废铜，\n要求纯度 99%');
    expect(rows[1]!.ref).toBeNull();
    expect(rows[1]!.input).not.toHaveProperty('price');
  });

  it('reads the same rows from a GBK file, a UTF-8 file with BOM and one with CRLF line ends', () => {
    const expected = parseCsv(utf8(csv)).rows;
    expect(parseCsv(encodeGbk(csv)).rows).toEqual(expected);
    expect(parseCsv(utf8(BOM + csv)).rows).toEqual(expected);
    expect(parseCsv(utf8(BOM + csv.replace(/\n/g, '\r\n'))).rows).toEqual(expected);
  });

  it('accepts the English contract names', () => {
    const { rows } = parseCsv(utf8('kind,category,region,title,priceType,priceMin,priceMax,attr.material\nsupply,steel,donghu,Rebar,range,1,2,Q235\n'));
    expect(rows[0]!.input).toEqual({
      kind: 'supply',
      category: 'steel',
      region: 'donghu',
      title: 'Rebar',
      priceType: 'range',
      priceMin: '1',
      priceMax: '2',
      attributes: { material: 'Q235' },
    });
  });

  it('refuses files it cannot read as a whole, saying why', () => {
    expect(fileError(() => parseCsv(utf8('标题,价格,颜色\n钢材,1,红\n')))).toMatchObject({
      key: 'import.unknownColumns',
      params: { columns: '颜色' },
    });
    expect(fileError(() => parseCsv(utf8('标题,价格\n钢材,1\n')))).toMatchObject({
      key: 'import.missingColumns',
      params: { columns: 'kind（类型）, category（分类）, region（地区）' },
    });
    expect(fileError(() => parseCsv(utf8('类型,标题,分类,地区\n')))).toMatchObject({ key: 'import.empty' });
    expect(fileError(() => parseCsv(utf8('')))).toMatchObject({ key: 'import.empty' });
    expect(fileError(() => parseCsv(utf8('类型,标题,分类,地区\n供应,"没有结尾,steel,donghu\n')))).toMatchObject({
      key: 'import.malformed',
    });
    const many = '类型,标题,分类,地区\n' + '供应,标题标题,steel,donghu\n'.repeat(MAX_ROWS + 1);
    expect(fileError(() => parseCsv(utf8(many)))).toMatchObject({ key: 'import.tooManyRows', params: { max: MAX_ROWS } });
    expect(fileError(() => parseCsv(new Uint8Array(6 * 1024 * 1024)))).toMatchObject({ key: 'import.tooLarge' });
  });
});

describe('rowProblems', () => {
  it('reports a reference used twice at the second row, naming the first', () => {
    const { rows } = parseCsv(utf8('编号,类型,标题,分类,地区\nA,供应,一,s,r\nB,供应,二,s,r\nA,供应,三,s,r\n'));
    const problems = rowProblems(rows);
    expect(problems.size).toBe(1);
    expect(problems.get(rows[2]!)).toEqual([{ field: 'ref', key: 'import.duplicateRef', params: { line: 2 } }]);
  });
});

describe('importKeyOf', () => {
  it('is the reference when given, else the same hash for the same content in any column order', () => {
    const a = parseCsv(utf8('编号,类型,标题,分类,地区\nX-1,供应,钢材钢材,s,r\n')).rows[0]!;
    expect(importKeyOf(a)).toBe('X-1');
    const b = parseCsv(utf8('类型,标题,分类,地区\n供应,钢材钢材,s,r\n')).rows[0]!;
    const c = parseCsv(utf8('标题,类型,地区,分类\n钢材钢材,供应,r,s\n')).rows[0]!;
    const d = parseCsv(utf8('类型,标题,分类,地区\n供应,钢材钢材!,s,r\n')).rows[0]!;
    expect(importKeyOf(b)).toMatch(/^row-[0-9a-f]{32}$/);
    expect(importKeyOf(c)).toBe(importKeyOf(b));
    expect(importKeyOf(d)).not.toBe(importKeyOf(b));
  });
});
