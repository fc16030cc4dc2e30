-- +goose Up
-- The account that made each API token (users.id), so that disabling or demoting it
-- revokes its tokens. 0: no account, for tokens made on the command line, the first
-- run's token, and tokens made before this column existed.
ALTER TABLE api_tokens ADD COLUMN created_by BIGINT NOT NULL DEFAULT 0;
CREATE INDEX api_tokens_created_by ON api_tokens (created_by) WHERE created_by <> 0;

-- +goose Down
DROP INDEX api_tokens_created_by;
ALTER TABLE api_tokens DROP COLUMN created_by;
