// Settings, parsed once from the environment with safe laptop defaults. A bad value stops start-up with a message
// naming the variable, instead of surfacing later as a broken page.
import path from 'node:path';
import { z } from 'zod';

const DEFAULT_SITE_NAME = '江西供求信息网';
const DEFAULT_SITE_NAME_EN = 'Jiangxi Supply & Demand';

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(4321),
  HOST: z.string().default('localhost'),
  DATA_DIR: z.string().min(1).default('./data'),
  // Unset: http://localhost:<PORT>, so canonicals, sitemaps and mail links point at the server that wrote them.
  SITE_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  SITE_NAME: z.string().min(1).default(DEFAULT_SITE_NAME),
  // The name English pages (/en) show. Unset: the English name of the default site, or SITE_NAME when that was changed
  // (a site renamed in Chinese must not keep calling itself Jiangxi in English).
  SITE_NAME_EN: z.string().min(1).optional(),
  // Which administrative divisions and categories this site serves (another province = another file).
  REGIONS_FILE: z.string().default('db/seed/regions/jiangxi.json'),
  CATEGORIES_FILE: z.string().default('db/seed/categories.json'),
  // Behind a reverse proxy that sets X-Forwarded-For/-Proto, `true` lets those headers name the client; otherwise
  // they are dropped, so a client talking to us directly cannot pick the IP address the rate limits count.
  TRUST_PROXY: z.stringbool().default(false),
  // Strict-Transport-Security max-age (seconds) sent with every https answer: at least a year (browsers' preload
  // lists ask for that), or 0 to send none (while a TLS set-up is still being tried out).
  HSTS_MAX_AGE: z.coerce
    .number()
    .int()
    .refine((s) => s === 0 || s >= 31_536_000, 'must be 0 (off) or at least 31536000 (one year)')
    .default(31_536_000),
  // Listing views are counted in memory and written every this many ms (0 = only when the server stops: tests that
  // must not see a write they did not make use that).
  VIEW_FLUSH_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  // On SIGTERM/SIGINT, requests already accepted get this long to finish before their connections are closed.
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // How many demo listings the first start writes into an empty database (0 = none).
  DEMO_LISTINGS: z.coerce.number().int().min(0).max(2_000_000).default(3000),
  // Search: SQLite FTS5 always; Meilisearch answers queries when MEILI_URL is set (FTS5 stays the fallback).
  MEILI_URL: z.url({ protocol: /^https?$/ }).optional(),
  MEILI_MASTER_KEY: z.string().min(1).optional(),
  MEILI_API_KEY: z.string().min(1).optional(),
  MEILI_INDEX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('listings'),
  SEARCH_DICTIONARY_FILE: z.string().min(1).default('db/seed/search-dictionary.json'),
  // Outgoing mail (src/server/mail/): smtp://user:pass@host:587 or smtps://...:465. Unset: mail stays queued and
  // members read their notifications in the inbox.
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  // The sender of every mail, e.g. `江西供求信息网 <noreply@example.com>`; unset: the site's name at its own host.
  MAIL_FROM: z.string().min(3).optional(),
  // Inquiry forms sent sooner than this after the page was shown are refused (naive bots fill forms at once).
  INQUIRY_MIN_FILL_SECONDS: z.coerce.number().min(0).max(60).default(3),
  // A company's listings wait for a moderator until this many of them have been published (0 = publish at once);
  // verified companies never wait.
  MODERATION_NEW_MEMBER_LISTINGS: z.coerce.number().int().min(0).max(1000).default(3),
  // Distinct reporters (举报) that take a live listing off the public site until an administrator reviews it.
  REPORT_HIDE_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(3),
  // Near-duplicate detection of listings (content-rules/): `false` turns it off (tests of other features, which post
  // the same sample listing again and again).
  DUPLICATE_CHECK: z.stringbool().default(true),
  // New listings an unverified company may create per day (form, API and imports together); 0 = no limit.
  POSTING_LIMIT_PER_DAY: z.coerce.number().int().min(0).max(1_000_000).default(200),
  // Webhooks refuse endpoints on private, loopback and link-local addresses (checked after DNS, at every delivery);
  // `true` allows them (tests, or an integration on the same private network).
  WEBHOOKS_ALLOW_PRIVATE: z.stringbool().default(false),
  // The first retry of a failed webhook waits this long, each next one twice as long, for 24 hours in all.
  WEBHOOKS_RETRY_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  // Operations. Logs: pino levels; `auto` is pretty on a terminal and JSON (one object a line) otherwise.
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  // Where rate limits count: `memory` (each process its own), or `sqlite` (the database: every app process on it
  // enforces one limit together; docs/scaling.md).
  RATE_LIMIT_STORE: z.enum(['memory', 'sqlite']).default('memory'),
  // /metrics answers only when this is set, and then only to `Authorization: Bearer <METRICS_TOKEN>`.
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  // The daily backup job writes into BACKUP_DIR when set (off otherwise), keeping the newest BACKUP_KEEP backups.
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
});

export type Config = z.infer<typeof schema> & { SITE_URL: string; SITE_NAME_EN: string; dataDir: string; dbFile: string };


export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid settings in the environment:\n${lines.join('\n')}`);
  }
  const dataDir = path.resolve(result.data.DATA_DIR);
  const SITE_URL = result.data.SITE_URL ?? `http://localhost:${result.data.PORT}`;
  const SITE_NAME_EN =
    result.data.SITE_NAME_EN ?? (result.data.SITE_NAME === DEFAULT_SITE_NAME ? DEFAULT_SITE_NAME_EN : result.data.SITE_NAME);
  return { ...result.data, SITE_URL, SITE_NAME_EN, dataDir, dbFile: path.join(dataDir, 'site.db') };
}

let current: Config | undefined;
export function config(): Config {
  current ??= parseConfig();
  return current;
}

/** The site's name in a reader's language. */
export function siteName(locale: 'zh-CN' | 'en'): string {
  return locale === 'en' ? config().SITE_NAME_EN : config().SITE_NAME;
}
