-- +goose Up
-- Bans per site. An email or IP ban stores the keyed hash the rest of winnow uses
-- (comment.EmailKey, comment.IPKey), never the address; hint is a masked form for
-- moderators ("a***@example.org"). A domain ban stores the domain, which is public.
CREATE TABLE bans (
    id         BIGSERIAL PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    hint       TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bans_site_value ON bans (site_id, value);

-- +goose Down
DROP TABLE bans;
