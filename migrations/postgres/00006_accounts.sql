-- +goose Up
-- Moderator accounts. email is stored normalized (trimmed, lower case); password_hash is
-- argon2id in the PHC string format. Times are unix microseconds (0 = unset).
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'moderator')),
    sites         TEXT NOT NULL DEFAULT '[]',
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT NOT NULL DEFAULT 0
);

-- Signed-in browsers; hash is SHA-256 of the cookie's value, never the value itself.
CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The first-run setup link's token (its hash), until it is used, replaced or expires.
CREATE TABLE setup_tokens (
    hash       TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE setup_tokens;
DROP TABLE sessions;
DROP TABLE users;
