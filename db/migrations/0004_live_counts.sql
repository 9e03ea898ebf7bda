CREATE TABLE `listing_counts` (
	`region_id` integer NOT NULL,
	`category_id` integer NOT NULL,
	`kind` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`region_id`, `category_id`, `kind`)
);
--> statement-breakpoint
DROP INDEX `listings_live_counts_idx`;--> statement-breakpoint
CREATE INDEX `listings_company_status_expires_idx` ON `listings` (`company_id`,`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `listings_city_top_category_status_published_idx` ON `listings` (`city_id`,`top_category_id`,`status`,`published_at`);--> statement-breakpoint
CREATE INDEX `listings_city_category_status_published_idx` ON `listings` (`city_id`,`category_id`,`status`,`published_at`);--> statement-breakpoint
CREATE INDEX `listings_region_top_category_status_published_idx` ON `listings` (`region_id`,`top_category_id`,`status`,`published_at`);--> statement-breakpoint
CREATE INDEX `listings_region_category_status_published_idx` ON `listings` (`region_id`,`category_id`,`status`,`published_at`);--> statement-breakpoint
-- Hand-written (drizzle-kit does not generate triggers): listing_counts holds, per region x category x kind, how
-- many listings are `active`, kept exact by these triggers in the writer's own transaction whatever writes the row
-- (posting, import, the expiry sweep, a company's deletion cascading). Rows that drop to 0 stay, harmlessly.
INSERT INTO `listing_counts` (`region_id`, `category_id`, `kind`, `n`)
	SELECT `region_id`, `category_id`, `kind`, count(*) FROM `listings` WHERE `status` = 'active' GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE TRIGGER `listing_counts_insert` AFTER INSERT ON `listings` WHEN new.`status` = 'active' BEGIN
	INSERT INTO `listing_counts` (`region_id`, `category_id`, `kind`, `n`) VALUES (new.`region_id`, new.`category_id`, new.`kind`, 1)
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `listing_counts_delete` AFTER DELETE ON `listings` WHEN old.`status` = 'active' BEGIN
	UPDATE `listing_counts` SET `n` = `n` - 1
		WHERE `region_id` = old.`region_id` AND `category_id` = old.`category_id` AND `kind` = old.`kind`;
END;
--> statement-breakpoint
CREATE TRIGGER `listing_counts_update` AFTER UPDATE OF `status`, `region_id`, `category_id`, `kind` ON `listings`
	WHEN (old.`status` = 'active' OR new.`status` = 'active')
		AND (old.`status` IS NOT new.`status` OR old.`region_id` <> new.`region_id` OR old.`category_id` <> new.`category_id` OR old.`kind` <> new.`kind`)
BEGIN
	UPDATE `listing_counts` SET `n` = `n` - 1
		WHERE old.`status` = 'active' AND `region_id` = old.`region_id` AND `category_id` = old.`category_id` AND `kind` = old.`kind`;
	INSERT INTO `listing_counts` (`region_id`, `category_id`, `kind`, `n`)
		SELECT new.`region_id`, new.`category_id`, new.`kind`, 1 WHERE new.`status` = 'active'
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
