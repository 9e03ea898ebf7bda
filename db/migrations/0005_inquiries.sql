CREATE TABLE `company_daily_stats` (
	`company_id` integer NOT NULL,
	`day` integer NOT NULL,
	`views` integer DEFAULT 0 NOT NULL,
	`reveals` integer DEFAULT 0 NOT NULL,
	`inquiries` integer DEFAULT 0 NOT NULL,
	`replies` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`company_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `inquiry_blocks` (
	`company_id` integer NOT NULL,
	`asker_key` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`company_id`, `asker_key`),
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `inquiry_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`thread_id` integer NOT NULL,
	`from_company` integer NOT NULL,
	`author_user_id` text,
	`author_name` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`thread_id`) REFERENCES `inquiry_threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `inquiry_messages_thread_idx` ON `inquiry_messages` (`thread_id`,`id`);--> statement-breakpoint
CREATE TABLE `inquiry_threads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`company_id` integer NOT NULL,
	`listing_id` integer,
	`listing_title` text DEFAULT '' NOT NULL,
	`asker_user_id` text,
	`asker_name` text NOT NULL,
	`asker_email` text NOT NULL,
	`asker_phone` text DEFAULT '' NOT NULL,
	`asker_locale` text DEFAULT 'zh-CN' NOT NULL,
	`terms` text DEFAULT '{}' NOT NULL,
	`message_hash` text NOT NULL,
	`ip` text DEFAULT '' NOT NULL,
	`confirm_hash` text,
	`confirm_expires_at` integer,
	`visitor_nonce` text,
	`created_at` integer NOT NULL,
	`last_message_at` integer NOT NULL,
	`first_reply_at` integer,
	`company_unread` integer DEFAULT true NOT NULL,
	`asker_unread` integer DEFAULT false NOT NULL,
	`company_archived` integer DEFAULT false NOT NULL,
	`asker_archived` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`company_id`) REFERENCES `companies`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`listing_id`) REFERENCES `listings`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`asker_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `inquiry_threads_company_idx` ON `inquiry_threads` (`company_id`,`company_archived`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_company_unread_idx` ON `inquiry_threads` (`company_id`,`company_unread`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_company_last_idx` ON `inquiry_threads` (`company_id`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_asker_idx` ON `inquiry_threads` (`asker_user_id`,`asker_archived`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_asker_unread_idx` ON `inquiry_threads` (`asker_user_id`,`asker_unread`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_response_idx` ON `inquiry_threads` (`company_id`,`created_at`,`status`,`first_reply_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_message_idx` ON `inquiry_threads` (`message_hash`,`created_at`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_confirm_idx` ON `inquiry_threads` (`confirm_hash`);--> statement-breakpoint
CREATE INDEX `inquiry_threads_pending_idx` ON `inquiry_threads` (`status`,`confirm_expires_at`);--> statement-breakpoint
CREATE TABLE `listing_daily_stats` (
	`company_id` integer NOT NULL,
	`listing_id` integer NOT NULL,
	`day` integer NOT NULL,
	`views` integer DEFAULT 0 NOT NULL,
	`reveals` integer DEFAULT 0 NOT NULL,
	`inquiries` integer DEFAULT 0 NOT NULL,
	`replies` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`company_id`, `listing_id`, `day`)
);
--> statement-breakpoint
CREATE INDEX `listing_daily_stats_company_day_idx` ON `listing_daily_stats` (`company_id`,`day`,`views`,`reveals`,`inquiries`,`replies`);--> statement-breakpoint
CREATE TABLE `mail_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`to_address` text NOT NULL,
	`template` text NOT NULL,
	`data` text NOT NULL,
	`subject` text NOT NULL,
	`text` text NOT NULL,
	`html` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mail_outbox_key_uq` ON `mail_outbox` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `mail_outbox_due_idx` ON `mail_outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `mail_outbox_to_idx` ON `mail_outbox` (`to_address`,`created_at`);--> statement-breakpoint
CREATE TABLE `site_keys` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL
);
