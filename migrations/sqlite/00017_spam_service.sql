-- +goose Up
-- How far the built-in spam seed may act alone on a site's comments: 'fold' (send to
-- the spam folder) or 'hold' (only hold for review).
ALTER TABLE sites ADD COLUMN spam_seed TEXT NOT NULL DEFAULT 'fold';

-- A comment that stays published, untouched, for spam.learn_published_after teaches
-- its site ham once; this finds the ones still to look at without a scan. A comment
-- leaves the index once it has taught (trained 'ham') or been judged to teach nothing
-- (trained 'none').
CREATE INDEX comments_untaught ON comments (published_at, id) WHERE status = 'approved' AND trained = '';

-- `winnow spam reset` deletes rows a replica may hold in memory: each reset records the
-- revision it moved the model to, and a replica that last read an older revision
-- reloads the whole model instead of reading what changed.
CREATE TABLE spam_resets (
    scope    TEXT PRIMARY KEY,
    rev      BIGINT NOT NULL,
    reset_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE spam_resets;
DROP INDEX comments_untaught;
ALTER TABLE sites DROP COLUMN spam_seed;
