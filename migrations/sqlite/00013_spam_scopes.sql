-- +goose Up
-- The classifier's counts, per scope: the shared scope '' (seed data, and every
-- decision learned before this migration, which stays shared) and one scope per site
-- id, which that site's moderators teach. A site's submissions are scored on the
-- shared counts plus its own. Each scope has its totals row (token ''). The revision
-- stays one counter for the installation, kept in the shared totals row, so replicas
-- still read every row changed since the revision they last saw, whatever its scope.
-- SQLite cannot change a primary key in place, so the table is rebuilt.
CREATE TABLE spam_tokens_scoped (
    scope TEXT NOT NULL DEFAULT '',
    token TEXT NOT NULL,
    spam  BIGINT NOT NULL DEFAULT 0,
    ham   BIGINT NOT NULL DEFAULT 0,
    rev   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, token)
);
INSERT INTO spam_tokens_scoped (scope, token, spam, ham, rev)
    SELECT '', token, spam, ham, rev FROM spam_tokens;
DROP TABLE spam_tokens;
ALTER TABLE spam_tokens_scoped RENAME TO spam_tokens;
CREATE INDEX spam_tokens_rev ON spam_tokens (rev);

-- +goose Down
-- Going back forgets what sites learned on their own; the shared counts stay.
CREATE TABLE spam_tokens_unscoped (
    token TEXT PRIMARY KEY,
    spam  BIGINT NOT NULL DEFAULT 0,
    ham   BIGINT NOT NULL DEFAULT 0,
    rev   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO spam_tokens_unscoped (token, spam, ham, rev)
    SELECT token, spam, ham, rev FROM spam_tokens WHERE scope = '';
DROP TABLE spam_tokens;
ALTER TABLE spam_tokens_unscoped RENAME TO spam_tokens;
CREATE INDEX spam_tokens_rev ON spam_tokens (rev);
