-- +goose Up
-- An address's record on a site (approved and spam comments lately) is read at every
-- submission; this index answers it without a scan.
CREATE INDEX comments_site_ip ON comments (site_id, ip, created_at);

-- +goose Down
DROP INDEX comments_site_ip;
