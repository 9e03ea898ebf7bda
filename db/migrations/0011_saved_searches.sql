CREATE TABLE `saved_search_anchors` (
	`token` text NOT NULL,
	`kind` text NOT NULL,
	`category_id` integer NOT NULL,
	`region_id` integer NOT NULL,
	`saved_search_id` integer NOT NULL,
	PRIMARY KEY(`token`, `kind`, `category_id`, `region_id`, `saved_search_id`),
	FOREIGN KEY (`saved_search_id`) REFERENCES `saved_searches`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `saved_search_anchors_search_idx` ON `saved_search_anchors` (`saved_search_id`);--> statement-breakpoint
CREATE TABLE `saved_search_hits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`saved_search_id` integer NOT NULL,
	`listing_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`alerted_at` integer,
	FOREIGN KEY (`saved_search_id`) REFERENCES `saved_searches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`listing_id`) REFERENCES `listings`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `saved_search_hits_pair_uq` ON `saved_search_hits` (`saved_search_id`,`listing_id`);--> statement-breakpoint
CREATE INDEX `saved_search_hits_search_idx` ON `saved_search_hits` (`saved_search_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `saved_search_hits_pending_idx` ON `saved_search_hits` (`alerted_at`,`saved_search_id`);--> statement-breakpoint
CREATE INDEX `saved_search_hits_listing_idx` ON `saved_search_hits` (`listing_id`);--> statement-breakpoint
CREATE TABLE `saved_search_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`listing_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `saved_search_outbox_next_idx` ON `saved_search_outbox` (`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `saved_searches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`query` text NOT NULL,
	`frequency` text DEFAULT 'daily' NOT NULL,
	`last_alert_at` integer NOT NULL,
	`pending` integer DEFAULT 0 NOT NULL,
	`overflow` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `saved_searches_user_idx` ON `saved_searches` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `saved_searches_due_idx` ON `saved_searches` (`frequency`,`last_alert_at`) WHERE pending > 0;--> statement-breakpoint
ALTER TABLE `mail_outbox` ADD `headers` text;--> statement-breakpoint
-- Hand-written: every listing that goes live (posted, approved by a moderator, renewed, restored) is queued for the
-- saved-search matcher in the writer's own statement, so the form, the bulk API and CSV import cannot forget it. The
-- matcher records a listing for a search at most once, so a listing that comes back to life alerts nobody twice.
CREATE TRIGGER `listings_saved_search_insert` AFTER INSERT ON `listings` WHEN NEW.`status` = 'active'
BEGIN
  INSERT INTO `saved_search_outbox` (`listing_id`, `created_at`) VALUES (NEW.`id`, NEW.`updated_at`);
END;--> statement-breakpoint
CREATE TRIGGER `listings_saved_search_live` AFTER UPDATE OF `status` ON `listings`
WHEN NEW.`status` = 'active' AND OLD.`status` IS NOT 'active'
BEGIN
  INSERT INTO `saved_search_outbox` (`listing_id`, `created_at`) VALUES (NEW.`id`, NEW.`updated_at`);
END;
