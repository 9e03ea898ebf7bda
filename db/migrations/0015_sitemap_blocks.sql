CREATE TABLE `sitemap_blocks` (
	`block` integer PRIMARY KEY NOT NULL,
	`n` integer NOT NULL
);
--> statement-breakpoint
-- Hand-written (drizzle-kit does not generate triggers): sitemap_blocks holds, per block of 1,000 listing ids, how
-- many listings are `active` and belong to a company someone owns, kept exact by these triggers in the writer's own
-- transaction whatever writes the row (posting, import, the expiry sweep, moderation, a company gaining or losing its
-- owner, a company's deletion cascading). Rows that drop to 0 stay, harmlessly.
INSERT INTO `sitemap_blocks` (`block`, `n`)
	SELECT (l.`id` - 1) / 1000, count(*) FROM `listings` l JOIN `companies` c ON c.`id` = l.`company_id`
	WHERE l.`status` = 'active' AND c.`owner_id` IS NOT NULL GROUP BY 1;
--> statement-breakpoint
CREATE TRIGGER `sitemap_blocks_insert` AFTER INSERT ON `listings`
	WHEN new.`status` = 'active' AND (SELECT `owner_id` FROM `companies` WHERE `id` = new.`company_id`) IS NOT NULL
BEGIN
	INSERT INTO `sitemap_blocks` (`block`, `n`) VALUES ((new.`id` - 1) / 1000, 1) ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
-- A company's deletion removes its listings by cascade after its own row is gone, so this finds no owner then: the
-- company's trigger below has already taken them off.
CREATE TRIGGER `sitemap_blocks_delete` AFTER DELETE ON `listings`
	WHEN old.`status` = 'active' AND (SELECT `owner_id` FROM `companies` WHERE `id` = old.`company_id`) IS NOT NULL
BEGIN
	UPDATE `sitemap_blocks` SET `n` = `n` - 1 WHERE `block` = (old.`id` - 1) / 1000;
END;
--> statement-breakpoint
CREATE TRIGGER `sitemap_blocks_update` AFTER UPDATE OF `status`, `company_id` ON `listings`
	WHEN (old.`status` = 'active' OR new.`status` = 'active')
		AND (old.`status` IS NOT new.`status` OR old.`company_id` <> new.`company_id`)
BEGIN
	UPDATE `sitemap_blocks` SET `n` = `n` - 1
		WHERE old.`status` = 'active' AND `block` = (old.`id` - 1) / 1000
			AND (SELECT `owner_id` FROM `companies` WHERE `id` = old.`company_id`) IS NOT NULL;
	INSERT INTO `sitemap_blocks` (`block`, `n`)
		SELECT (new.`id` - 1) / 1000, 1
		WHERE new.`status` = 'active' AND (SELECT `owner_id` FROM `companies` WHERE `id` = new.`company_id`) IS NOT NULL
		ON CONFLICT DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
-- A company gaining an owner (or losing one: its user deleted) brings its active listings into the sitemaps (or
-- takes them out): one range of the (company_id, status, id) index.
CREATE TRIGGER `sitemap_blocks_company_owner` AFTER UPDATE OF `owner_id` ON `companies`
	WHEN (old.`owner_id` IS NULL) <> (new.`owner_id` IS NULL)
BEGIN
	INSERT INTO `sitemap_blocks` (`block`, `n`)
		SELECT (`id` - 1) / 1000, CASE WHEN new.`owner_id` IS NULL THEN -count(*) ELSE count(*) END
		FROM `listings` WHERE `company_id` = new.`id` AND `status` = 'active' GROUP BY 1
		ON CONFLICT DO UPDATE SET `n` = `n` + excluded.`n`;
END;
--> statement-breakpoint
CREATE TRIGGER `sitemap_blocks_company_delete` BEFORE DELETE ON `companies` WHEN old.`owner_id` IS NOT NULL
BEGIN
	INSERT INTO `sitemap_blocks` (`block`, `n`)
		SELECT (`id` - 1) / 1000, -count(*)
		FROM `listings` WHERE `company_id` = old.`id` AND `status` = 'active' GROUP BY 1
		ON CONFLICT DO UPDATE SET `n` = `n` + excluded.`n`;
END;
