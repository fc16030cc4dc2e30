-- +goose Up
-- The page a comment was posted from, as its submission named it. A thread's public
-- URL and title come from published comments only, so a held comment's claim waits
-- here until a moderator approves it.
ALTER TABLE comments ADD COLUMN page_url TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN page_title TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE comments DROP COLUMN page_title;
ALTER TABLE comments DROP COLUMN page_url;
