-- +goose Up
-- An address's reputation is kept by the client's network, not the single address
-- (comment.AddressKey: an IPv4 address, or an IPv6 address's /64 by http.ipv6_prefix),
-- so rotating addresses within one /64 does not start a clean record. ip_key is that
-- network's keyed hash, written with each comment and cleared with its ip; the index
-- answers "this network's latest comments on this site" as the old one did for one
-- address. Comments written before this version get their key at the next start, from
-- Go (the key needs the installation secret): sqlstore.Store.KeyAddresses.
ALTER TABLE comments ADD COLUMN ip_key TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_site_ip_key ON comments (site_id, ip_key, created_at);
DROP INDEX comments_site_ip;

-- The first-run setup link is the same on every replica and after every restart until
-- it is used or expires: one row (slot 1), holding the token's hash, its expiry and
-- the nonce the token is derived from with the installation secret (auth.OfferSetup).
-- A link printed before this version stops working; the next start prints the lasting one.
DROP TABLE setup_tokens;
CREATE TABLE setup_tokens (
    slot       INTEGER PRIMARY KEY CHECK (slot = 1),
    hash       TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- +goose Down
CREATE INDEX comments_site_ip ON comments (site_id, ip, created_at);
DROP INDEX comments_site_ip_key;
ALTER TABLE comments DROP COLUMN ip_key;
DROP TABLE setup_tokens;
CREATE TABLE setup_tokens (
    hash       TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
