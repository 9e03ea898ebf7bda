// CSV files people open in Excel or WPS: UTF-8 with a BOM (so Chinese reads right), CRLF line ends, quoted where
// needed. Cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) are
// written with a leading apostrophe, so a listing title like `=HYPERLINK(...)` stays text (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvDocument(rows: readonly (readonly (string | number)[])[]): string {
  return '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
