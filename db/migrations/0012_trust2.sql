CREATE TABLE `company_verifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`company_id` integer NOT NULL,
	`uscc` text NOT NULL,
	`company_name` text NOT NULL,
	`licence_hash` text NOT NULL,
	`licence_width` integer NOT NULL,
	`licence_height` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`reason` text,
	`submitted_by` text,
	`submitted_at` integer NOT NULL,
	`decided_at` integer,
	`decided_by` text,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `company_verifications_status_idx` ON `company_verifications` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `company_verifications_company_idx` ON `company_verifications` (`company_id`,`id`);--> statement-breakpoint
CREATE TABLE `daily_counts` (
	`metric` text NOT NULL,
	`day` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`metric`, `day`)
);
--> statement-breakpoint
CREATE TABLE `listing_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`company_id` integer NOT NULL,
	`source` text NOT NULL,
	`items` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	`decided_at` integer,
	`decided_by` text,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `listing_batches_status_idx` ON `listing_batches` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `listing_batches_company_idx` ON `listing_batches` (`company_id`,`id`);--> statement-breakpoint
ALTER TABLE `companies` ADD `tax_id` text;--> statement-breakpoint
CREATE INDEX `companies_tax_id_idx` ON `companies` (`tax_id`);--> statement-breakpoint
ALTER TABLE `listings` ADD `batch_id` integer;--> statement-breakpoint
CREATE INDEX `listings_pending_batch_idx` ON `listings` (`batch_id`,`published_at`) WHERE status = 'pending';--> statement-breakpoint
ALTER TABLE `users` ADD `suspended_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `suspend_reason` text;--> statement-breakpoint
-- Hand-written (not generated): daily_counts is kept by triggers, so every writer (form, API, import, scripts) counts
-- and the console's dashboard reads a few rows instead of grouping large tables. Days are China dates (UTC+8).
INSERT INTO `daily_counts` (`metric`, `day`, `n`) SELECT 'members', strftime('%Y-%m-%d', (`created_at` + 28800000) / 1000, 'unixepoch'), count(*) FROM `users` GROUP BY 2;
--> statement-breakpoint
INSERT INTO `daily_counts` (`metric`, `day`, `n`) SELECT 'listings', strftime('%Y-%m-%d', (`created_at` + 28800000) / 1000, 'unixepoch'), count(*) FROM `listings` GROUP BY 2;
--> statement-breakpoint
INSERT INTO `daily_counts` (`metric`, `day`, `n`) SELECT 'inquiries', strftime('%Y-%m-%d', (`created_at` + 28800000) / 1000, 'unixepoch'), count(*) FROM `inquiry_threads` GROUP BY 2;
--> statement-breakpoint
INSERT INTO `daily_counts` (`metric`, `day`, `n`) SELECT 'reports', strftime('%Y-%m-%d', (`created_at` + 28800000) / 1000, 'unixepoch'), count(*) FROM `reports` GROUP BY 2;
--> statement-breakpoint
INSERT INTO `daily_counts` (`metric`, `day`, `n`) SELECT 'decisions', strftime('%Y-%m-%d', (`at` + 28800000) / 1000, 'unixepoch'), count(*) FROM `audit_log` WHERE `action` IN ('listing.approve', 'listing.reject', 'listing.takeDown', 'batch.approve', 'batch.reject', 'verification.approve', 'verification.reject') GROUP BY 2;
--> statement-breakpoint
CREATE TRIGGER `daily_counts_members` AFTER INSERT ON `users` BEGIN INSERT INTO `daily_counts` (`metric`, `day`, `n`) VALUES ('members', strftime('%Y-%m-%d', (new.`created_at` + 28800000) / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `daily_counts_listings` AFTER INSERT ON `listings` BEGIN INSERT INTO `daily_counts` (`metric`, `day`, `n`) VALUES ('listings', strftime('%Y-%m-%d', (new.`created_at` + 28800000) / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `daily_counts_inquiries` AFTER INSERT ON `inquiry_threads` BEGIN INSERT INTO `daily_counts` (`metric`, `day`, `n`) VALUES ('inquiries', strftime('%Y-%m-%d', (new.`created_at` + 28800000) / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `daily_counts_reports` AFTER INSERT ON `reports` BEGIN INSERT INTO `daily_counts` (`metric`, `day`, `n`) VALUES ('reports', strftime('%Y-%m-%d', (new.`created_at` + 28800000) / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `daily_counts_verifications` AFTER INSERT ON `company_verifications` BEGIN INSERT INTO `daily_counts` (`metric`, `day`, `n`) VALUES ('verifications', strftime('%Y-%m-%d', (new.`submitted_at` + 28800000) / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `daily_counts_decisions` AFTER INSERT ON `audit_log` WHEN new.`action` IN ('listing.approve', 'listing.reject', 'listing.takeDown', 'batch.approve', 'batch.reject', 'verification.approve', 'verification.reject') BEGIN INSERT INTO `daily_counts` (`metric`, `day`, `n`) VALUES ('decisions', strftime('%Y-%m-%d', (new.`at` + 28800000) / 1000, 'unixepoch'), 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1; END;
