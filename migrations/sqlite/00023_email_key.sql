-- +goose Up
-- A commenter who asks for their data, or for its erasure, is found by the keyed hash of
-- their normalized email (comment.EmailKey), not by reading every stored address: the
-- same key per-address limits and bans use. It is written with each comment and erased
-- with its email. Comments written before this version get theirs from Go (the key needs
-- the installation secret) before each search (sqlstore.Store.KeyEmails), which the
-- second index keeps cheap once none is left.
ALTER TABLE comments ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_email_key ON comments (email_key) WHERE email_key <> '';
CREATE INDEX comments_unkeyed_email ON comments (id) WHERE email_key = '' AND author_email <> '';

-- +goose Down
DROP INDEX comments_unkeyed_email;
DROP INDEX comments_email_key;
ALTER TABLE comments DROP COLUMN email_key;
