-- +goose Up
-- The classifier's counts, shared by every replica: for each token, how many spam and
-- ham documents held it. The row with the empty token holds the document totals and
-- the model's revision, which every change bumps; a changed row carries the revision
-- of its change, so replicas read only what changed since they last looked.
CREATE TABLE spam_tokens (
    token TEXT PRIMARY KEY,
    spam  BIGINT NOT NULL DEFAULT 0,
    ham   BIGINT NOT NULL DEFAULT 0,
    rev   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX spam_tokens_rev ON spam_tokens (rev);
INSERT INTO spam_tokens (token, spam, ham, rev) VALUES ('', 0, 0, 0);

-- What the classifier learned from a comment ('' nothing, 'spam' or 'ham'), so that a
-- moderator changing their mind unlearns the first lesson before the second.
ALTER TABLE comments ADD COLUMN trained TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE comments DROP COLUMN trained;
DROP TABLE spam_tokens;
