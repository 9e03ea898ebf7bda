// Background work of the server process (the search indexer, the expiry sweep, the mail sender, the purge of
// unconfirmed inquiries, the lead matcher, favourites' news, webhooks, expiry reminders), started once by the first
// request: the built server bundles its own copy of src/server, so jobs must start inside it, not in scripts/start.ts.
import { startBackupJob } from './backup/job.ts';
import { config } from './config.ts';
import type { Db } from './db.ts';
import { startUnconfirmedPurge } from './inquiries/send.ts';
import { startFavouritesJob } from './favourites/index.ts';
import { startExpiryReminders } from './freshness/index.ts';
import { startMatcher } from './leads/record.ts';
import { startExpirySweep } from './listings/expiry.ts';
import { startViewFlush } from './listings/views.ts';
import { startMailSender } from './mail/sender.ts';
import { startImageCleanup } from './media/cleanup.ts';
import { outsideRequest } from './observability/log.ts';
import { startIndexer } from './search/indexer.ts';
import { startWebhookSender } from './webhooks/index.ts';

const started = new WeakSet<Db>();

export function startJobs(db: Db): void {
  if (started.has(db)) return;
  started.add(db);
  outsideRequest(() => {
    startExpirySweep(db);
    startViewFlush(db);
    startImageCleanup(db, config().dataDir);
    startIndexer(db);
    startBackupJob(db, config());
    startMailSender(db);
    startUnconfirmedPurge(db);
    startMatcher(db);
    startFavouritesJob(db);
    startWebhookSender(db);
    startExpiryReminders(db);
  });
}
