ALTER TABLE `listings` ADD `company_owned` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Hand-written from here to the index (drizzle-kit does not generate backfills or triggers). company_owned copies
-- "the company has an owner" onto each listing, so the sitemaps' partial index holds only listings they may list.
-- Filled before the index is built, so the index is written once.
UPDATE `listings` SET `company_owned` = 1 WHERE `company_id` IN (SELECT `id` FROM `companies` WHERE `owner_id` IS NOT NULL);
--> statement-breakpoint
-- Whatever writes a listing (posting, import, demo data, a move to another company), it takes its company's state;
-- a value written by hand is put right.
CREATE TRIGGER `listings_company_owned_insert` AFTER INSERT ON `listings`
	WHEN new.`company_owned` IS NOT ((SELECT `owner_id` FROM `companies` WHERE `id` = new.`company_id`) IS NOT NULL)
BEGIN
	UPDATE `listings` SET `company_owned` = ((SELECT `owner_id` FROM `companies` WHERE `id` = new.`company_id`) IS NOT NULL)
		WHERE `id` = new.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `listings_company_owned_update` AFTER UPDATE OF `company_id`, `company_owned` ON `listings`
	WHEN new.`company_owned` IS NOT ((SELECT `owner_id` FROM `companies` WHERE `id` = new.`company_id`) IS NOT NULL)
BEGIN
	UPDATE `listings` SET `company_owned` = ((SELECT `owner_id` FROM `companies` WHERE `id` = new.`company_id`) IS NOT NULL)
		WHERE `id` = new.`id`;
END;
--> statement-breakpoint
-- A company gaining an owner (a demo company claimed) or losing one (its user deleted): all its listings, whatever
-- their status, since a hidden one may come back. One range of the (company_id, ...) indexes.
CREATE TRIGGER `listings_company_owned_company` AFTER UPDATE OF `owner_id` ON `companies`
	WHEN (old.`owner_id` IS NULL) <> (new.`owner_id` IS NULL)
BEGIN
	UPDATE `listings` SET `company_owned` = (new.`owner_id` IS NOT NULL) WHERE `company_id` = new.`id`;
END;
--> statement-breakpoint
CREATE INDEX `listings_sitemap_idx` ON `listings` (`id`,`status`,`expires_at`,`updated_at`,`slug`) WHERE company_owned = 1;
