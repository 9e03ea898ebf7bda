// Background work of the server process (WAL checkpoints, the search indexer, the expiry sweep, the mail sender, the purge of
// unconfirmed inquiries, the lead matcher, favourites' news, webhooks, expiry reminders), started once by the first
// request: the built server bundles its own copy of src/server, so jobs must start inside it, not in scripts/start.ts.
// Each job registers its own stop with the shutdown hooks (./lifecycle.ts), which scripts/start.ts runs on SIGTERM.
import { startBackupJob } from './backup/job.ts';
import { config } from './config.ts';
import { optimizeDatabase, type Db } from './db.ts';
import { startUnconfirmedPurge } from './inquiries/send.ts';
import { startFavouritesJob } from './favourites/index.ts';
import { startExpiryReminders } from './freshness/index.ts';
import { startMatcher } from './leads/record.ts';
import { onShutdown } from './lifecycle.ts';
import { startExpirySweep } from './listings/expiry.ts';
import { startViewFlush } from './listings/views.ts';
import { startMailSender } from './mail/sender.ts';
import { startImageCleanup } from './media/cleanup.ts';
import { scheduleJob, warmUpOnce } from './observability/jobs.ts';
import { log, outsideRequest } from './observability/log.ts';
import { startSavedSearchAlerts } from './saved-searches/alerts.ts';
import { searchListings } from './search/index.ts';
import { startIndexer } from './search/indexer.ts';
import { startCheckpointer } from './wal-checkpointer.ts';
import { startWebhookSender } from './webhooks/index.ts';

const started = new WeakSet<Db>();
const OPTIMIZE_EVERY_MS = 60 * 60_000;

export function startJobs(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  outsideRequest(() => {
    // Checkpoints leave the commits (and the event loop) for a thread of their own.
    const checkpointer = startCheckpointer(db, { onError: (err) => log().warn({ err }, 'WAL checkpoint failed') });
    onShutdown('WAL checkpointer', checkpointer.stop);
    // Before traffic (/readyz waits for it): the first search loads the segmenter and the facet columns (about a
    // second at 100k listings, measured). The title splitter of category suggestions and lead matching is not loaded
    // here: its dictionary is 36 MB that a server nobody posts to never needs, and its first title takes 120 ms.
    void warmUpOnce(db, async () => {
      await searchListings(db, { q: '供应' }, Date.now());
      return 1;
    });
    startExpirySweep(db);
    startViewFlush(db, config().VIEW_FLUSH_MS);
    startImageCleanup(db, config().dataDir);
    // The outbox lives in SQLite: what the indexer has not sent yet stays queued for the next start.
    onShutdown('search indexer', startIndexer(db));
    startBackupJob(db, config());
    startMailSender(db);
    startUnconfirmedPurge(db);
    // Keeps the planner's statistics current as listings come and go (a no-op when no table changed much).
    scheduleJob('optimize', { firstAfterMs: OPTIMIZE_EVERY_MS, everyMs: OPTIMIZE_EVERY_MS }, () => (optimizeDatabase(db), 0));
    startMatcher(db);
    startFavouritesJob(db);
    startWebhookSender(db);
    startExpiryReminders(db);
    startSavedSearchAlerts(db);
  });
}

