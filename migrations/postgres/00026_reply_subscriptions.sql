-- +goose Up
-- A reader who ticked "notify me of replies" under a comment: the comment carries the
-- wish, and the address must be confirmed (double opt-in) before any reply mail.
ALTER TABLE comments ADD COLUMN notify_replies BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per site and address (private: never shown, logged or sent anywhere but to
-- itself). status: pending (a confirmation mail went out at asked_at), confirmed,
-- unsubscribed.
CREATE TABLE reply_subscriptions (
    id           BIGSERIAL PRIMARY KEY,
    site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    asked_at     BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    UNIQUE (site_id, email)
);

-- Where each sweep over the comments has got to (the newest id or time it has read).
CREATE TABLE mail_sweeps (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL DEFAULT 0
);

-- Published comments by publication time: what the reply sweep reads.
CREATE INDEX comments_published ON comments (published_at, id) WHERE status = 'approved';

-- +goose Down
DROP INDEX comments_published;
DROP TABLE mail_sweeps;
DROP TABLE reply_subscriptions;
ALTER TABLE comments DROP COLUMN notify_replies;
