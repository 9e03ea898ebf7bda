// The database file of a test server, opened beside the server's own connection for one look (or one change) and
// closed again, so tests can check what a page did or arrange what a page should show.
import path from 'node:path';
import Database from 'better-sqlite3';

export function withSiteDb<T>(dataDir: string, use: (db: Database.Database) => T, { readonly = true } = {}): T {
  const db = new Database(path.join(dataDir, 'site.db'), { readonly });
  try {
    return use(db);
  } finally {
    db.close();
  }
}
