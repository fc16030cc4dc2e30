-- +goose Up
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
DROP TABLE setup_tokens;
CREATE TABLE setup_tokens (
    hash       TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
