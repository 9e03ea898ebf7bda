// An import report in words, the same for the command line and the dashboard page.
import { zhCN } from '../i18n/zh-CN.ts';
import type { MessageKey, Translate } from '../i18n/index.ts';
import { ImportFileError } from './csv.ts';
import type { ImportReport } from './index.ts';

/** A message key from any concept (the listing contract's or the import's), or the generic one if unknown. */
function say(t: Translate, key: string, params?: Record<string, string | number>): string {
  return key in zhCN ? t(key as MessageKey, params) : t('invalid.value');
}

export interface ReportText {
  summary: string;
  failures: { line: string; reasons: string[] }[];
  /** How values were read where the file left room (南昌 as the city, a category from the title): to check. */
  notes: { line: string; reasons: string[] }[];
}

export function describeImport(report: ImportReport, t: Translate): ReportText {
  const reasonOf = (p: { key: string; params?: Record<string, string | number>; column: string }) => {
    const reason = say(t, p.key, p.params);
    return p.column ? t('import.column', { column: p.column, reason }) : reason;
  };
  return {
    summary:
      t('import.summary', {
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report.failed.length,
      }) + (report.batchId !== null ? ` ${t('import.batchPending', { id: report.batchId })}` : ''),
    failures: report.failed.map((f) => ({ line: t('import.line', { line: f.line }), reasons: f.problems.map(reasonOf) })),
    notes: report.notes.map((n) => ({ line: t('import.line', { line: n.line }), reasons: [reasonOf(n)] })),
  };
}

/** The reason a whole file was refused. */
export function describeFileError(e: ImportFileError, t: Translate): string {
  return say(t, e.key, e.params);
}
