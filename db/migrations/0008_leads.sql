CREATE TABLE `favourites` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`listing_id` integer,
	`company_id` integer,
	`created_at` integer NOT NULL,
	`changed_at` integer,
	`change` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`listing_id`) REFERENCES `listings`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `favourites_user_listing_uq` ON `favourites` (`user_id`,`listing_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `favourites_user_company_uq` ON `favourites` (`user_id`,`company_id`);--> statement-breakpoint
CREATE INDEX `favourites_user_created_idx` ON `favourites` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `favourites_listing_idx` ON `favourites` (`listing_id`);--> statement-breakpoint
CREATE TABLE `lead_prefs` (
	`company_id` integer PRIMARY KEY NOT NULL,
	`mail` text DEFAULT 'daily' NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `leads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`listing_id` integer NOT NULL,
	`source_company_id` integer NOT NULL,
	`company_id` integer NOT NULL,
	`matched_listing_id` integer NOT NULL,
	`score` integer NOT NULL,
	`created_at` integer NOT NULL,
	`notified_at` integer,
	FOREIGN KEY (`listing_id`) REFERENCES `listings`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `leads_listing_company_uq` ON `leads` (`listing_id`,`company_id`);--> statement-breakpoint
CREATE INDEX `leads_company_created_idx` ON `leads` (`company_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `leads_source_company_created_idx` ON `leads` (`source_company_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `leads_notified_company_idx` ON `leads` (`notified_at`,`company_id`);--> statement-breakpoint
CREATE INDEX `leads_matched_listing_idx` ON `leads` (`matched_listing_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `listing_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`listing_id` integer NOT NULL,
	`change` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `match_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`listing_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `match_outbox_next_idx` ON `match_outbox` (`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`endpoint_id` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	`event` text NOT NULL,
	`body` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`delivered_at` integer,
	FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_key_uq` ON `webhook_deliveries` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint_idx` ON `webhook_deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`company_id` integer NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`secret` text NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`disabled_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_company_idx` ON `webhook_endpoints` (`company_id`);--> statement-breakpoint
-- Hand-written: every listing write queues the listing for matching in its own statement, so the bulk API, CSV
-- import, the form and any future writer cannot forget it. An edit queues it again only when what it matches on
-- changed (or it comes back to life); the expiry sweep and view counts queue nothing.
CREATE TRIGGER `listings_match_insert` AFTER INSERT ON `listings` WHEN NEW.`status` = 'active'
BEGIN
  INSERT INTO `match_outbox` (`listing_id`, `created_at`) VALUES (NEW.`id`, NEW.`updated_at`);
END;--> statement-breakpoint
CREATE TRIGGER `listings_match_update` AFTER UPDATE OF `status`, `kind`, `title`, `category_id`, `region_id`, `attributes` ON `listings`
WHEN NEW.`status` = 'active' AND (OLD.`status` IS NOT 'active' OR OLD.`kind` IS NOT NEW.`kind` OR OLD.`title` IS NOT NEW.`title`
  OR OLD.`category_id` IS NOT NEW.`category_id` OR OLD.`region_id` IS NOT NEW.`region_id` OR OLD.`attributes` IS NOT NEW.`attributes`)
BEGIN
  INSERT INTO `match_outbox` (`listing_id`, `created_at`) VALUES (NEW.`id`, NEW.`updated_at`);
END;--> statement-breakpoint
-- Hand-written: a favourite listing's price changed, or it stopped being live (closed, expired by the sweep, removed):
-- noted only when someone keeps it as a favourite, so ordinary edits cost one index probe.
CREATE TRIGGER `listings_favourite_price` AFTER UPDATE OF `price_min`, `price_max`, `negotiable` ON `listings`
WHEN NEW.`status` = 'active' AND (OLD.`price_min` IS NOT NEW.`price_min` OR OLD.`price_max` IS NOT NEW.`price_max` OR OLD.`negotiable` IS NOT NEW.`negotiable`)
  AND EXISTS (SELECT 1 FROM `favourites` WHERE `listing_id` = NEW.`id`)
BEGIN
  INSERT INTO `listing_changes` (`listing_id`, `change`, `created_at`) VALUES (NEW.`id`, 'price', NEW.`updated_at`);
END;--> statement-breakpoint
CREATE TRIGGER `listings_favourite_gone` AFTER UPDATE OF `status` ON `listings`
WHEN OLD.`status` = 'active' AND NEW.`status` <> 'active' AND EXISTS (SELECT 1 FROM `favourites` WHERE `listing_id` = NEW.`id`)
BEGIN
  INSERT INTO `listing_changes` (`listing_id`, `change`, `created_at`) VALUES (NEW.`id`, 'gone', NEW.`updated_at`);
END;
