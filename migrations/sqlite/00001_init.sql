-- Times are BIGINT unix microseconds UTC (0 = unset) in both dialects, so that the
-- store reads and writes them the same way on SQLite and PostgreSQL.

-- +goose Up
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sites (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    origins       TEXT NOT NULL DEFAULT '[]',
    policy        TEXT NOT NULL,
    max_links     INTEGER NOT NULL DEFAULT 0,
    blocked_words TEXT NOT NULL DEFAULT '[]',
    rate_limits   TEXT NOT NULL DEFAULT '{}',
    created_at    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE threads (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id        TEXT NOT NULL REFERENCES sites (id),
    key            TEXT NOT NULL,
    url            TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL DEFAULT '',
    locked         INTEGER NOT NULL DEFAULT 0,
    approved_count INTEGER NOT NULL DEFAULT 0,
    version        BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (site_id, key)
);

CREATE TABLE comments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id         TEXT NOT NULL REFERENCES sites (id),
    thread_id       BIGINT NOT NULL REFERENCES threads (id),
    parent_id       BIGINT NOT NULL DEFAULT 0,
    author_name     TEXT NOT NULL,
    author_email    TEXT NOT NULL,
    author_url      TEXT NOT NULL DEFAULT '',
    author_key      TEXT NOT NULL DEFAULT '',
    avatar_hash     TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    body_source     TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'rejected', 'deleted')),
    score           REAL NOT NULL DEFAULT 0,
    reasons         TEXT NOT NULL DEFAULT '[]',
    edit_token_hash TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL DEFAULT 0,
    published_at    BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX comments_idempotency ON comments (site_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX comments_thread_public ON comments (thread_id, status, created_at, id);
CREATE INDEX comments_status ON comments (status, id);
CREATE INDEX comments_site_status ON comments (site_id, status, id);
CREATE INDEX comments_status_score ON comments (status, score, id);

CREATE TABLE authors (
    site_id  TEXT NOT NULL REFERENCES sites (id),
    key      TEXT NOT NULL,
    approved INTEGER NOT NULL DEFAULT 0,
    spam     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, key)
);

CREATE TABLE moderation_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     TEXT NOT NULL,
    comment_id  BIGINT NOT NULL DEFAULT 0,
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL DEFAULT '',
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX moderation_events_site ON moderation_events (site_id, id);
CREATE INDEX moderation_events_comment ON moderation_events (comment_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    sites        TEXT NOT NULL DEFAULT '[]',
    hash         TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE moderation_events;
DROP TABLE authors;
DROP TABLE comments;
DROP TABLE threads;
DROP TABLE sites;
DROP TABLE settings;
