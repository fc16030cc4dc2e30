-- +goose Up
-- Comments' addresses and user agents are kept for a while (privacy.forget_addresses_after),
-- then cleared; this finds the comments that still hold one without a scan.
CREATE INDEX comments_addressed_since ON comments (created_at) WHERE ip <> '' OR user_agent <> '';

-- +goose Down
DROP INDEX comments_addressed_since;
