-- +goose Up
-- How long a CDN may keep a site's thread and count answers (s-maxage) and serve them
-- stale while refreshing (stale-while-revalidate), in seconds; NULL in both takes the
-- server's configured lifetimes (http.cdn_s_maxage, http.cdn_stale_while_revalidate).
ALTER TABLE sites ADD COLUMN cdn_s_maxage INTEGER;
ALTER TABLE sites ADD COLUMN cdn_stale_while_revalidate INTEGER;

-- +goose Down
ALTER TABLE sites DROP COLUMN cdn_stale_while_revalidate;
ALTER TABLE sites DROP COLUMN cdn_s_maxage;
