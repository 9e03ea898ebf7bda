// Every table of the site, in one place. Times are epoch milliseconds (UTC) everywhere; money is integer fen.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const LISTING_KINDS = ['supply', 'demand'] as const;
export type ListingKind = (typeof LISTING_KINDS)[number];

// `pending`: waiting for a moderator (src/server/moderation/); `rejected`: refused by one, until the owner edits it
// (which submits it again). Neither is public, in search or in sitemaps: every public read asks for `active`.
// `suspended`: a live listing of a suspended company, live again when the company is restored.
export const LISTING_STATUSES = ['draft', 'pending', 'rejected', 'active', 'suspended', 'expired', 'closed', 'removed'] as const;
export type ListingStatus = (typeof LISTING_STATUSES)[number];

export type CategoryAttribute =
  | { key: string; zh: string; en: string; type: 'choice'; options: string[] }
  | { key: string; zh: string; en: string; type: 'number'; unit?: string }
  | { key: string; zh: string; en: string; type: 'text' };

/** Values of a listing's category-specific attributes, keyed by CategoryAttribute.key. */
export type ListingAttributes = Record<string, string | number>;

// Administrative divisions. The id is the official division code (GB/T 2260), so a city's code is its counties'
// codes rounded down to the hundred, and codes stay stable across re-seeds.
export const regions = sqliteTable(
  'regions',
  {
    id: integer('id').primaryKey(),
    parentId: integer('parent_id'),
    level: integer('level').notNull(), // 1 province, 2 city (prefecture), 3 county-level
    slug: text('slug').notNull(),
    nameZh: text('name_zh').notNull(),
    shortZh: text('short_zh').notNull(),
    nameEn: text('name_en').notNull(),
  },
  (t) => [uniqueIndex('regions_slug_uq').on(t.slug), index('regions_parent_idx').on(t.parentId)],
);

export const categories = sqliteTable(
  'categories',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    parentId: integer('parent_id'),
    slug: text('slug').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    position: integer('position').notNull().default(0),
    attributes: text('attributes', { mode: 'json' }).$type<CategoryAttribute[]>().notNull().default(sql`'[]'`),
  },
  (t) => [uniqueIndex('categories_slug_uq').on(t.slug), index('categories_parent_idx').on(t.parentId)],
);

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name').notNull(),
    isAdmin: integer('is_admin', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    // Set while an administrator has suspended the member (src/server/moderation/members.ts): no sign-in (the reason
    // is shown), no session, no API token of their company. Nothing is deleted; restoring clears both.
    suspendedAt: integer('suspended_at'),
    suspendReason: text('suspend_reason'),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email)],
);

// Lucia sessions; the id stored here is the SHA-256 of the token the browser holds.
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

// Password reset: the id is the SHA-256 of the token mailed to the user (the mail is the only place the token exists).
// A row is deleted when used, so a link works once; expired rows are swept when the same user asks again.
export const passwordResets = sqliteTable(
  'password_resets',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('password_resets_user_idx').on(t.userId)],
);

export const companies = sqliteTable(
  'companies',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerId: text('owner_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    regionId: integer('region_id')
      .notNull()
      .references(() => regions.id),
    address: text('address').notNull().default(''),
    contactName: text('contact_name').notNull().default(''),
    phone: text('phone').notNull().default(''),
    // A contact email buyers may write to (shown, like the phone, after the reveal); at least one of phone and email.
    email: text('email').notNull().default(''),
    website: text('website').notNull().default(''),
    description: text('description').notNull().default(''),
    mainProducts: text('main_products').notNull().default(''),
    logoHash: text('logo_hash'),
    verified: integer('verified', { mode: 'boolean' }).notNull().default(false),
    verifiedAt: integer('verified_at'),
    // Set while an administrator has suspended the company (src/server/moderation/suspension.ts): its pages answer
    // 410, its live listings wait in `suspended`, its API tokens answer 401. Nothing is deleted.
    suspendedAt: integer('suspended_at'),
    // The unified social credit code an administrator verified against the business licence (src/server/
    // verification/); kept while verified, shown in JSON-LD as taxID only then.
    taxId: text('tax_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('companies_slug_uq').on(t.slug),
    uniqueIndex('companies_owner_uq').on(t.ownerId),
    index('companies_region_idx').on(t.regionId),
    // The console warns when a code is already verified for another company.
    index('companies_tax_id_idx').on(t.taxId),
  ],
);

export const listings = sqliteTable(
  'listings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: LISTING_KINDS }).notNull(),
    title: text('title').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    regionId: integer('region_id')
      .notNull()
      .references(() => regions.id),
    // Derived from regionId and categoryId when the listing is written (listings/placement.ts), so a city page or
    // an industry page reads one index range in date order instead of merging and sorting all its counties or
    // subcategories (at a million listings: 0.3 ms instead of 270 ms).
    cityId: integer('city_id')
      .notNull()
      .references(() => regions.id),
    topCategoryId: integer('top_category_id')
      .notNull()
      .references(() => categories.id),
    // Price per priceUnit in fen. Both null with negotiable = 面议; equal = a single price; else a range.
    priceMin: integer('price_min'),
    priceMax: integer('price_max'),
    currency: text('currency').notNull().default('CNY'),
    priceUnit: text('price_unit').notNull().default(''),
    negotiable: integer('negotiable', { mode: 'boolean' }).notNull().default(false),
    quantity: integer('quantity'),
    quantityUnit: text('quantity_unit').notNull().default(''),
    moq: integer('moq'),
    attributes: text('attributes', { mode: 'json' }).$type<ListingAttributes>().notNull().default(sql`'{}'`),
    status: text('status', { enum: LISTING_STATUSES }).notNull().default('draft'),
    views: integer('views').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    publishedAt: integer('published_at'),
    expiresAt: integer('expires_at'),
    // How long one publication lasts (7, 30 or 90 days): a renewal runs this long again from the day it is renewed.
    validityDays: integer('validity_days').notNull().default(30),
    // The company's own reference for a listing brought in by a bulk import (its SKU, or a hash of the row), so
    // importing the same file again updates nothing twice.
    importKey: text('import_key'),
    // Why the listing waits for review (pending) or was rejected (closed by a moderator): a message key or a
    // moderator's words, shown to the owner on the dashboard.
    moderationNote: text('moderation_note'),
    // The bulk load (CSV import or API bulk upsert) of an unverified company this listing came in with; its pending
    // listings are reviewed together (listing_batches, src/server/moderation/batches.ts).
    batchId: integer('batch_id'),
    // Whether the listing's company has an owner (companies.owner_id not null), kept by triggers (migration 0016)
    // whatever writes either row. Demo companies are unowned and their listings noindex: the sitemaps read only
    // these, through listings_sitemap_idx, without visiting the ten demo listings beside each one they list.
    companyOwned: integer('company_owned', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    // A listing sitemap chunk, read from this alone: the owned companies' listings in id order, with what a URL and
    // its validators need (at a million demo listings, a 10,000-URL chunk read 110,000 wide rows: 210-640 ms).
    index('listings_sitemap_idx').on(t.id, t.status, t.expiresAt, t.updatedAt, t.slug).where(sql`company_owned = 1`),
    // Only waiting listings are in it (a partial index): the review queue reads the ones outside any batch
    // (batch_id IS NULL), a batch page its own, each one range in queue order.
    index('listings_pending_batch_idx').on(t.batchId, t.publishedAt).where(sql`status = 'pending'`),
    uniqueIndex('listings_company_import_key_uq').on(t.companyId, t.importKey),
    // Public lists read "active, newest first" by one of these prefixes.
    index('listings_status_published_idx').on(t.status, t.publishedAt),
    index('listings_status_kind_published_idx').on(t.status, t.kind, t.publishedAt),
    index('listings_region_status_published_idx').on(t.regionId, t.status, t.publishedAt),
    index('listings_city_status_published_idx').on(t.cityId, t.status, t.publishedAt),
    index('listings_category_status_published_idx').on(t.categoryId, t.status, t.publishedAt),
    index('listings_top_category_status_published_idx').on(t.topCategoryId, t.status, t.publishedAt),
    index('listings_company_status_idx').on(t.companyId, t.status, t.publishedAt),
    // The API's "my listings" pages through one status of a company in id order (keyset on id, no sort).
    index('listings_company_status_id_idx').on(t.companyId, t.status, t.id),
    // A company page counts its live listings from this index alone (through the one above, a large company's
    // count read each of its rows for the expiry: 8 ms at 3,000 listings).
    index('listings_company_status_expires_idx').on(t.companyId, t.status, t.expiresAt),
    // Region x category pages: one range each, in date order, however deep the page (a city's listings filtered
    // to one industry walked 30,000 rows for page 100 at a million listings, 130 ms).
    index('listings_city_top_category_status_published_idx').on(t.cityId, t.topCategoryId, t.status, t.publishedAt),
    index('listings_city_category_status_published_idx').on(t.cityId, t.categoryId, t.status, t.publishedAt),
    index('listings_region_top_category_status_published_idx').on(t.regionId, t.topCategoryId, t.status, t.publishedAt),
    index('listings_region_category_status_published_idx').on(t.regionId, t.categoryId, t.status, t.publishedAt),
    // The expiry sweep reads "active and past expiry" without walking every active listing.
    index('listings_status_expires_idx').on(t.status, t.expiresAt),
  ],
);

// How many active listings each region x category x kind holds, kept exact by triggers on listings (hand-written
// at the end of migration 0004): navigation counts read these few thousand rows instead of grouping every live
// listing (hundreds of ms at a million). Active listings past expiry that the sweep has not marked yet are still in
// here; listings/counts.ts subtracts them (a short range of the (status, expires_at) index).
export const listingCounts = sqliteTable(
  'listing_counts',
  {
    regionId: integer('region_id').notNull(),
    categoryId: integer('category_id').notNull(),
    kind: text('kind', { enum: LISTING_KINDS }).notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.regionId, t.categoryId, t.kind] })],
);

// How many listings each block of 1,000 listing ids holds that the sitemaps list: active, of a company someone owns
// (demo companies' listings are noindex). Kept exact by triggers on listings and companies (hand-written at the end
// of migration 0015); the sitemap index packs consecutive blocks into chunks of up to 50,000 URLs from these few
// rows (a thousand at a million listings), so it never lists an empty chunk. Active listings past expiry that the
// sweep has not marked yet are still counted; seo/sitemap.ts subtracts them, as listings/counts.ts does.
export const sitemapBlocks = sqliteTable('sitemap_blocks', {
  block: integer('block').primaryKey(),
  n: integer('n').notNull(),
});

export const listingImages = sqliteTable(
  'listing_images',
  {
    listingId: integer('listing_id')
      .notNull()
      .references(() => listings.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    hash: text('hash').notNull(), // content hash of the original; the stored WebP renditions are named after it
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.listingId, t.position] }), index('listing_images_hash_idx').on(t.hash)],
);

// Written in the same transaction as every listing change, drained by the search indexer, so a crash between the
// commit and the index update loses nothing.
export const searchOutbox = sqliteTable(
  'search_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    listingId: integer('listing_id').notNull(),
    createdAt: integer('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('search_outbox_next_idx').on(t.nextAttemptAt)],
);

// Tokens a company's integrations send as `Authorization: Bearer <token>`; only the SHA-256 is kept.
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash), index('api_tokens_company_idx').on(t.companyId)],
);

// Outgoing mail, written in the same transaction as the change that causes it and sent by the job runner
// (src/server/mail/). The idempotency key makes queueing twice a no-op and names the Message-ID, so a retry after a
// crash between the SMTP server's "250 OK" and our "sent" mark carries the same Message-ID (mail stores keep one).
// next_attempt_at doubles as the sender's lease: claiming a row pushes it into the future, a crash lets it lapse.
export const MAIL_STATUSES = ['queued', 'sent', 'failed'] as const;
export const mailOutbox = sqliteTable(
  'mail_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    toAddress: text('to_address').notNull(),
    template: text('template').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    status: text('status', { enum: MAIL_STATUSES }).notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
    /** Extra headers of this mail (List-Unsubscribe of an alert), sent as they are. */
    headers: text('headers', { mode: 'json' }).$type<Record<string, string>>(),
  },
  (t) => [
    uniqueIndex('mail_outbox_key_uq').on(t.idempotencyKey),
    index('mail_outbox_due_idx').on(t.status, t.nextAttemptAt),
    // A member's notifications: the mail addressed to them, newest first.
    index('mail_outbox_to_idx').on(t.toAddress, t.createdAt),
  ],
);

// Keys the site signs with (form timestamps, private thread links), made on first use and kept with the data.
export const siteKeys = sqliteTable('site_keys', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const INQUIRY_KINDS = ['inquiry', 'quote', 'general'] as const;
export type InquiryKind = (typeof INQUIRY_KINDS)[number];
// pending: a visitor's, until the mailed link is clicked; held: the same text went to many companies (review);
// open: delivered to the company.
export const INQUIRY_STATUSES = ['pending', 'held', 'open'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];

/** What the asker proposed: 询价 (quantity, target price, wanted by) or 报价 (price, quantity, delivery time). */
export interface InquiryTerms {
  quantity?: number;
  quantityUnit?: string;
  priceMin?: number; // fen
  priceMax?: number; // fen
  priceUnit?: string;
  negotiable?: boolean;
  wantedBy?: string; // YYYY-MM-DD
  deliveryTime?: string;
}

// One conversation between an asker (a member, or a visitor known by email) and a company, about one listing or
// the company in general. The unread and archived flags are kept per side so the inbox reads one index range.
export const inquiryThreads = sqliteTable(
  'inquiry_threads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: INQUIRY_KINDS }).notNull(),
    status: text('status', { enum: INQUIRY_STATUSES }).notNull(),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    listingId: integer('listing_id').references(() => listings.id, { onDelete: 'set null' }),
    listingTitle: text('listing_title').notNull().default(''),
    askerUserId: text('asker_user_id').references(() => users.id, { onDelete: 'set null' }),
    askerName: text('asker_name').notNull(),
    askerEmail: text('asker_email').notNull(),
    askerPhone: text('asker_phone').notNull().default(''),
    askerLocale: text('asker_locale').notNull().default('zh-CN'),
    terms: text('terms', { mode: 'json' }).$type<InquiryTerms>().notNull().default(sql`'{}'`),
    // SHA-256 of the normalised first message: the same text sent to many companies is held for review.
    messageHash: text('message_hash').notNull(),
    ip: text('ip').notNull().default(''),
    // A visitor's confirmation token (SHA-256) and its expiry; null once confirmed.
    confirmHash: text('confirm_hash'),
    confirmExpiresAt: integer('confirm_expires_at'),
    // The private link's nonce: the link is an HMAC over the thread id and this; a new nonce revokes the old link.
    visitorNonce: text('visitor_nonce'),
    createdAt: integer('created_at').notNull(),
    lastMessageAt: integer('last_message_at').notNull(),
    firstReplyAt: integer('first_reply_at'),
    companyUnread: integer('company_unread', { mode: 'boolean' }).notNull().default(true),
    askerUnread: integer('asker_unread', { mode: 'boolean' }).notNull().default(false),
    companyArchived: integer('company_archived', { mode: 'boolean' }).notNull().default(false),
    askerArchived: integer('asker_archived', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    index('inquiry_threads_company_idx').on(t.companyId, t.companyArchived, t.lastMessageAt),
    index('inquiry_threads_company_unread_idx').on(t.companyId, t.companyUnread, t.lastMessageAt),
    // The API's list of a company's threads changed since a moment, archived or not.
    index('inquiry_threads_company_last_idx').on(t.companyId, t.lastMessageAt),
    index('inquiry_threads_asker_idx').on(t.askerUserId, t.askerArchived, t.lastMessageAt),
    index('inquiry_threads_asker_unread_idx').on(t.askerUserId, t.askerUnread, t.lastMessageAt),
    // Response figures: a company's threads of the last 90 days with their first reply, read from the index alone.
    index('inquiry_threads_response_idx').on(t.companyId, t.createdAt, t.status, t.firstReplyAt),
    index('inquiry_threads_message_idx').on(t.messageHash, t.createdAt),
    index('inquiry_threads_confirm_idx').on(t.confirmHash),
    index('inquiry_threads_pending_idx').on(t.status, t.confirmExpiresAt),
  ],
);

export const inquiryMessages = sqliteTable(
  'inquiry_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    threadId: integer('thread_id')
      .notNull()
      .references(() => inquiryThreads.id, { onDelete: 'cascade' }),
    fromCompany: integer('from_company', { mode: 'boolean' }).notNull(),
    authorUserId: text('author_user_id').references(() => users.id, { onDelete: 'set null' }),
    authorName: text('author_name').notNull(),
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('inquiry_messages_thread_idx').on(t.threadId, t.id)],
);

// Askers a company no longer hears from: `user:<id>` for a member, `email:<address>` for a visitor.
export const inquiryBlocks = sqliteTable(
  'inquiry_blocks',
  {
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    askerKey: text('asker_key').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.askerKey] })],
);

// What each listing brought per day (China's calendar day, as a day number since 1970). listing_id 0 holds what the
// company page itself brought (reveals there, general inquiries). company_id is kept on the row so a company's days
// are one range of the covering index, however many listings it has.
export const listingDailyStats = sqliteTable(
  'listing_daily_stats',
  {
    companyId: integer('company_id').notNull(),
    listingId: integer('listing_id').notNull(),
    day: integer('day').notNull(),
    views: integer('views').notNull().default(0),
    reveals: integer('reveals').notNull().default(0),
    inquiries: integer('inquiries').notNull().default(0),
    replies: integer('replies').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.listingId, t.day] }),
    index('listing_daily_stats_company_day_idx').on(t.companyId, t.day, t.views, t.reveals, t.inquiries, t.replies),
  ],
);

// A company's closed days summed once (seller analytics): counters only ever grow on the current day, so a day two
// days back never changes again and a company with 100,000 listings reads 90 rows instead of a million.
export const companyDailyStats = sqliteTable(
  'company_daily_stats',
  {
    companyId: integer('company_id').notNull(),
    day: integer('day').notNull(),
    views: integer('views').notNull().default(0),
    reveals: integer('reveals').notNull().default(0),
    inquiries: integer('inquiries').notNull().default(0),
    replies: integer('replies').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.companyId, t.day] })],
);

// Images a member uploaded with a form that then failed (a field to fix): the form carries their hashes back, and a
// later submission may use only these (or its listing's own images), with the dimensions recorded here, never the
// form's. Rows older than the unused-image grace period are removed by the image cleanup.
export const pendingUploads = sqliteTable(
  'pending_uploads',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    hash: text('hash').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.hash, t.userId] }), index('pending_uploads_created_idx').on(t.createdAt)],
);

// Append-only record of what administrators did and of security events (src/server/audit/). Triggers in migration
// 0009 make SQLite refuse every UPDATE and DELETE of a row, so no code path in the app can rewrite history.
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    // The user who acted (null: the system or an anonymous visitor).
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull().default(''),
    targetId: text('target_id').notNull().default(''),
    before: text('before', { mode: 'json' }).$type<unknown>(),
    after: text('after', { mode: 'json' }).$type<unknown>(),
    ip: text('ip'),
  },
  (t) => [
    // Entries are read newest first by id; SQLite's rowid ends every index, so each filter is one index range.
    index('audit_log_action_idx').on(t.action),
    index('audit_log_target_idx').on(t.targetType, t.targetId),
  ],
);

// What listings may not contain (src/server/content-rules/), edited by administrators: `word` rows hold a word in
// its normalised form (half-width, lower case, simplified, no spaces or symbols), `category` rows a category slug
// that no listing may be posted in.
export const PROHIBITED_KINDS = ['word', 'category'] as const;
export const prohibitedTerms = sqliteTable(
  'prohibited_terms',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: PROHIBITED_KINDS }).notNull(),
    value: text('value').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('prohibited_terms_kind_value_uq').on(t.kind, t.value)],
);

// Near-duplicate detection (src/server/content-rules/minhash.ts): each listing's MinHash band keys. A new listing's
// candidates are the listings sharing one of its keys: BANDS lookups of this primary key.
export const listingDupBands = sqliteTable(
  'listing_dup_bands',
  {
    band: integer('band').notNull(),
    value: integer('value').notNull(),
    listingId: integer('listing_id')
      .notNull()
      .references(() => listings.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.band, t.value, t.listingId] }), index('listing_dup_bands_listing_idx').on(t.listingId)],
);

// Reports (举报) of a listing or a company by a member or a visitor (src/server/reports/). The reporter key is the
// member's id, or for a visitor a hash of the address, so one reporter has at most one open report per target.
export const REPORT_REASONS = ['fraud', 'prohibited', 'wrongCategory', 'duplicate', 'spam', 'other'] as const;
export const REPORT_TARGETS = ['listing', 'company'] as const;
export const REPORT_STATUSES = ['open', 'resolved', 'dismissed'] as const;
export const reports = sqliteTable(
  'reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    targetType: text('target_type', { enum: REPORT_TARGETS }).notNull(),
    targetId: integer('target_id').notNull(),
    reason: text('reason', { enum: REPORT_REASONS }).notNull(),
    text: text('text').notNull().default(''),
    reporterKey: text('reporter_key').notNull(),
    reporterId: text('reporter_id'),
    status: text('status', { enum: REPORT_STATUSES }).notNull().default('open'),
    createdAt: integer('created_at').notNull(),
    decidedAt: integer('decided_at'),
    decidedBy: text('decided_by'),
  },
  (t) => [
    uniqueIndex('reports_open_reporter_uq').on(t.targetType, t.targetId, t.reporterKey).where(sql`status = 'open'`),
    index('reports_target_status_idx').on(t.targetType, t.targetId, t.status),
    index('reports_status_id_idx').on(t.status, t.id),
  ],
);

// Listings to match against the other side (demand against supply and back), written by triggers on listings in the
// same statement as the change (see the end of migration 0008), so no listing write can forget it and a crash loses
// nothing. The matcher (src/server/leads/) drains it; a row is deleted in the transaction that records its leads.
export const matchOutbox = sqliteTable(
  'match_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    listingId: integer('listing_id').notNull(),
    createdAt: integer('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('match_outbox_next_idx').on(t.nextAttemptAt)],
);

// A lead (商机): listing `listingId` (of company `sourceCompanyId`) fits what company `companyId` offers or asks for
// in its listing `matchedListingId`. One row per (listing, company), ever: the unique index is what makes a matcher
// that runs twice after a crash record nothing twice.
export const leads = sqliteTable(
  'leads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    listingId: integer('listing_id')
      .notNull()
      .references(() => listings.id, { onDelete: 'cascade' }),
    sourceCompanyId: integer('source_company_id').notNull(),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    matchedListingId: integer('matched_listing_id').notNull(),
    /** Relevance x 1000 (text, subcategory, region closeness), for ordering a listing's matches. */
    score: integer('score').notNull(),
    createdAt: integer('created_at').notNull(),
    /** When the recipient was mailed about it (instantly or in a digest); null while waiting for the digest. */
    notifiedAt: integer('notified_at'),
  },
  (t) => [
    uniqueIndex('leads_listing_company_uq').on(t.listingId, t.companyId),
    index('leads_company_created_idx').on(t.companyId, t.createdAt),
    index('leads_source_company_created_idx').on(t.sourceCompanyId, t.createdAt),
    index('leads_notified_company_idx').on(t.notifiedAt, t.companyId),
    // A listing's page shows its owner both sides: who was told about it, and whose new listings were found for it.
    index('leads_matched_listing_idx').on(t.matchedListingId, t.createdAt),
  ],
);

export const LEAD_MAIL_MODES = ['daily', 'instant', 'off'] as const;
export type LeadMailMode = (typeof LEAD_MAIL_MODES)[number];
// How a company wants to hear about its leads; no row means the daily digest.
export const leadPrefs = sqliteTable('lead_prefs', {
  companyId: integer('company_id')
    .primaryKey()
    .references(() => companies.id, { onDelete: 'cascade' }),
  mail: text('mail', { enum: LEAD_MAIL_MODES }).notNull().default('daily'),
  updatedAt: integer('updated_at').notNull(),
});

// A member's favourites (收藏): a listing or a company. `changedAt`/`change` hold the last news about a favourite
// listing (its price changed, it stopped being live), shown in the dashboard tab until the next one.
export const FAVOURITE_CHANGES = ['price', 'gone'] as const;
export type FavouriteChange = (typeof FAVOURITE_CHANGES)[number];
export const favourites = sqliteTable(
  'favourites',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    listingId: integer('listing_id').references(() => listings.id, { onDelete: 'cascade' }),
    companyId: integer('company_id').references(() => companies.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    changedAt: integer('changed_at'),
    change: text('change', { enum: FAVOURITE_CHANGES }),
  },
  (t) => [
    uniqueIndex('favourites_user_listing_uq').on(t.userId, t.listingId),
    uniqueIndex('favourites_user_company_uq').on(t.userId, t.companyId),
    index('favourites_user_created_idx').on(t.userId, t.createdAt),
    index('favourites_listing_idx').on(t.listingId),
  ],
);

// Price changes and ends of favourite-able listings, written by triggers on listings (migration 0008) in the
// writer's statement, drained by the favourites job, which tells the members who keep the listing.
export const listingChanges = sqliteTable('listing_changes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  listingId: integer('listing_id').notNull(),
  change: text('change', { enum: FAVOURITE_CHANGES }).notNull(),
  createdAt: integer('created_at').notNull(),
});

// A company's webhook endpoints: where to POST which events, signed with the endpoint's secret (HMAC-SHA256 over
// "<timestamp>.<body>", docs/webhooks.md). `failures` counts failed attempts in a row; at the limit the endpoint is
// disabled (disabledAt) and the company told, until it enables it again.
export const WEBHOOK_EVENTS = ['inquiry.created', 'message.created', 'lead.created', 'listing.expiring'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events', { mode: 'json' }).$type<WebhookEvent[]>().notNull(),
    secret: text('secret').notNull(),
    failures: integer('failures').notNull().default(0),
    disabledAt: integer('disabled_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('webhook_endpoints_company_idx').on(t.companyId)],
);

// One event for one endpoint, written in the transaction of the change that causes it (an outbox), sent by the
// webhook job with retries for 24 hours. `idempotencyKey` (event + subject + endpoint) keeps a retried use case from
// queueing it twice and is sent as X-Webhook-Id, so a receiver can drop a repeat.
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    endpointId: integer('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    idempotencyKey: text('idempotency_key').notNull(),
    event: text('event').notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_key_uq').on(t.idempotencyKey),
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
);

// Saved searches (保存搜索): a member's /search state with a name, and how often to be alerted about new listings
// that fit it (src/server/saved-searches/). `query` is the search's query string (regions and categories by id, so a
// renamed slug keeps working; one that no longer exists marks the search broken on the dashboard).
// `lastAlertAt` is when the last alert went out (or when the search was saved), the start of the next alert's wait;
// `pending` counts the fitting listings waiting for the next alert (kept here so the bound costs no count), and
// `overflow` those not kept because it was full.
export const SAVED_SEARCH_FREQUENCIES = ['instant', 'daily', 'weekly', 'off'] as const;
export type SavedSearchFrequency = (typeof SAVED_SEARCH_FREQUENCIES)[number];
export const savedSearches = sqliteTable(
  'saved_searches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    query: text('query').notNull(),
    frequency: text('frequency', { enum: SAVED_SEARCH_FREQUENCIES }).notNull().default('daily'),
    lastAlertAt: integer('last_alert_at').notNull(),
    pending: integer('pending').notNull().default(0),
    overflow: integer('overflow').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('saved_searches_user_idx').on(t.userId, t.createdAt),
    // The alerts job's queue: searches with listings waiting, by frequency, longest waiting first.
    index('saved_searches_due_idx').on(t.frequency, t.lastAlertAt).where(sql`pending > 0`),
  ],
);

// The reverse index of saved searches: one row per way a search can be met (its kind or any, its narrowest category
// or any (0), its narrowest region or any (0), one text token of one of its words or '' without words). A new listing
// looks up the few keys it can have, so it never reads the searches it cannot fit (saved-searches/anchors.ts).
export const savedSearchAnchors = sqliteTable(
  'saved_search_anchors',
  {
    token: text('token').notNull(),
    kind: text('kind').notNull(),
    categoryId: integer('category_id').notNull(),
    regionId: integer('region_id').notNull(),
    savedSearchId: integer('saved_search_id')
      .notNull()
      .references(() => savedSearches.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.token, t.kind, t.categoryId, t.regionId, t.savedSearchId] }),
    index('saved_search_anchors_search_idx').on(t.savedSearchId),
  ],
);

// Listings to check against saved searches, written by triggers on listings (migration 0011) in the writer's own
// transaction whenever a listing goes live; drained by the saved-search matcher like match_outbox.
export const savedSearchOutbox = sqliteTable(
  'saved_search_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    listingId: integer('listing_id').notNull(),
    createdAt: integer('created_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('saved_search_outbox_next_idx').on(t.nextAttemptAt)],
);

// A listing that fits a saved search: once per pair ever (the unique index: never twice), alerted when `alertedAt`
// is set. The dashboard and the private RSS feed read a search's newest.
export const savedSearchHits = sqliteTable(
  'saved_search_hits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    savedSearchId: integer('saved_search_id')
      .notNull()
      .references(() => savedSearches.id, { onDelete: 'cascade' }),
    listingId: integer('listing_id')
      .notNull()
      .references(() => listings.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    alertedAt: integer('alerted_at'),
  },
  (t) => [
    uniqueIndex('saved_search_hits_pair_uq').on(t.savedSearchId, t.listingId),
    index('saved_search_hits_search_idx').on(t.savedSearchId, t.createdAt),
    // The alert job's queue: the searches with unalerted hits.
    index('saved_search_hits_pending_idx').on(t.alertedAt, t.savedSearchId),
    index('saved_search_hits_listing_idx').on(t.listingId),
  ],
);

// Company verification requests (企业认证, src/server/verification/): the code and the business licence a company
// submitted (the licence image is stored outside the public media folder), and an administrator's decision.
export const VERIFICATION_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const companyVerifications = sqliteTable(
  'company_verifications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    uscc: text('uscc').notNull(),
    // The company's name when it asked: what the licence is compared with.
    companyName: text('company_name').notNull(),
    licenceHash: text('licence_hash').notNull(),
    licenceWidth: integer('licence_width').notNull(),
    licenceHeight: integer('licence_height').notNull(),
    status: text('status', { enum: VERIFICATION_STATUSES }).notNull().default('pending'),
    reason: text('reason'),
    submittedBy: text('submitted_by'),
    submittedAt: integer('submitted_at').notNull(),
    decidedAt: integer('decided_at'),
    decidedBy: text('decided_by'),
  },
  (t) => [index('company_verifications_status_idx').on(t.status, t.id), index('company_verifications_company_idx').on(t.companyId, t.id)],
);

// A bulk load by an unverified company (src/server/moderation/batches.ts): its new listings wait in `pending` with
// this batch's id and are approved or rejected together, or one by one.
export const BATCH_SOURCES = ['import', 'api'] as const;
export const BATCH_STATUSES = ['open', 'approved', 'rejected', 'closed'] as const;
export const listingBatches = sqliteTable(
  'listing_batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
    source: text('source', { enum: BATCH_SOURCES }).notNull(),
    items: integer('items').notNull().default(0),
    status: text('status', { enum: BATCH_STATUSES }).notNull().default('open'),
    reason: text('reason'),
    createdAt: integer('created_at').notNull(),
    decidedAt: integer('decided_at'),
    decidedBy: text('decided_by'),
  },
  (t) => [index('listing_batches_status_idx').on(t.status, t.id), index('listing_batches_company_idx').on(t.companyId, t.id)],
);

// Per-day counts for the console's dashboard (new members, listings, inquiries, reports, verification requests,
// moderation decisions), kept exact by triggers (end of migration 0012) so the dashboard never counts a large table.
// `day` is the date in China (UTC+8), YYYY-MM-DD.
export const DAILY_METRICS = ['members', 'listings', 'inquiries', 'reports', 'verifications', 'decisions'] as const;
export const dailyCounts = sqliteTable(
  'daily_counts',
  {
    metric: text('metric', { enum: DAILY_METRICS }).notNull(),
    day: text('day').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.metric, t.day] })],
);

// The search dictionary (synonym groups and industry words) as administrators edit it in the console. Each edit
// appends a row; the current dictionary is the highest id, and that id is the version every process compares on
// each search to apply an edit without a restart. No row yet: the file SEARCH_DICTIONARY_FILE is the dictionary.
export const searchDictionaries = sqliteTable('search_dictionaries', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  synonyms: text('synonyms', { mode: 'json' }).$type<string[][]>().notNull(),
  words: text('words', { mode: 'json' }).$type<string[]>().notNull(),
  createdAt: integer('created_at').notNull(),
  createdBy: text('created_by'),
});

// Rate-limit counters shared by every app process on this database (RATE_LIMIT_STORE=sqlite, src/server/rate-limit.ts):
// one row per limiter and key, its count in the current window and when that window ends (a backoff's window slides
// with each failure). Rows whose window ended are swept; none is needed past `ends_at`.
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    key: text('key').primaryKey(),
    count: integer('count').notNull(),
    endsAt: integer('ends_at').notNull(),
  },
  (t) => [index('rate_limits_ends_idx').on(t.endsAt)],
);
