-- +goose Up
-- One Akismet-compatible API key per site (POST /1.1/comment-check and the rest):
-- only its SHA-256 is kept. Issuing a new key replaces the row; revoking deletes it.
CREATE TABLE akismet_keys (
    site_id    TEXT PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- What the spam model was taught from reports about texts that are not winnow's
-- comments (an Akismet client's submit-spam and submit-ham), so that one text and
-- author teach a scope once: digest is a keyed hash of the author and the text,
-- label the lesson taught, taught_at when (unix microseconds).
CREATE TABLE spam_feedback (
    scope     TEXT NOT NULL,
    digest    TEXT NOT NULL,
    label     TEXT NOT NULL,
    taught_at BIGINT NOT NULL,
    PRIMARY KEY (scope, digest)
);

-- +goose Down
DROP TABLE spam_feedback;
DROP TABLE akismet_keys;
