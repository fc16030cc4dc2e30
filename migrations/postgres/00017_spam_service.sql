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

-- Every lesson and every reset moves the installation's revision (the shared totals
-- row); this tells every replica at commit, so that a decision taken on one reaches the
-- others' models in moments rather than at their next periodic sync (winnow LISTENs on
-- winnow_spam, on the connection it already holds for thread changes).
-- +goose StatementBegin
CREATE FUNCTION winnow_spam_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('winnow_spam', NEW.rev::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER spam_changed AFTER UPDATE ON spam_tokens FOR EACH ROW
    WHEN (NEW.scope = '' AND NEW.token = '' AND OLD.rev IS DISTINCT FROM NEW.rev)
    EXECUTE FUNCTION winnow_spam_changed();

-- +goose Down
DROP TRIGGER spam_changed ON spam_tokens;
DROP FUNCTION winnow_spam_changed();
DROP TABLE spam_resets;
DROP INDEX comments_untaught;
ALTER TABLE sites DROP COLUMN spam_seed;
