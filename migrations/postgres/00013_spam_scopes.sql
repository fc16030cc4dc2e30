-- +goose Up
-- The classifier's counts, per scope: the shared scope '' (seed data, and every
-- decision learned before this migration, which stays shared) and one scope per site
-- id, which that site's moderators teach. A site's submissions are scored on the
-- shared counts plus its own. Each scope has its totals row (token ''). The revision
-- stays one counter for the installation, kept in the shared totals row, so replicas
-- still read every row changed since the revision they last saw, whatever its scope.
ALTER TABLE spam_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE spam_tokens DROP CONSTRAINT spam_tokens_pkey;
ALTER TABLE spam_tokens ADD PRIMARY KEY (scope, token);

-- +goose Down
-- Going back forgets what sites learned on their own; the shared counts stay.
DELETE FROM spam_tokens WHERE scope <> '';
ALTER TABLE spam_tokens DROP CONSTRAINT spam_tokens_pkey;
ALTER TABLE spam_tokens ADD PRIMARY KEY (token);
ALTER TABLE spam_tokens DROP COLUMN scope;
