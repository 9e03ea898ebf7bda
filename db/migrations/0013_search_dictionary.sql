CREATE TABLE `search_dictionaries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`synonyms` text NOT NULL,
	`words` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text
);
