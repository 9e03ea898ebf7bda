// Writing CSV for people to open in Excel or WPS: the one helper every CSV export uses. A cell that starts with
// = + - @ (or a tab or carriage return, which some spreadsheets skip before reading a formula) would be run as a
// formula when the file is opened: `=HYPERLINK("https://evil.example","点击")` in a listing's title becomes a live
// link, DDE payloads worse (CSV injection, OWASP). Such a cell gets a leading apostrophe, which spreadsheets show as
// text and do not evaluate; everything else is written as typed.

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: neutralised if it could be read as a formula, quoted if it holds a quote, comma, tab or line break. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // Numbers we write ourselves (a negative price difference, say) stay numbers; text that merely looks like one is
  // neutralised like any other cell a member typed.
  if (typeof value !== 'number' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n\t]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A whole file: UTF-8 with a BOM (so Excel reads the Chinese correctly) and CRLF line ends, as Excel writes them.
 * Rows are iterated once, so a generator can stream a large export row by row.
 */
export function toCsv(rows: Iterable<readonly (string | number | null | undefined)[]>): string {
  let out = '\uFEFF';
  for (const row of rows) out += row.map(csvCell).join(',') + '\r\n';
  return out;
}
