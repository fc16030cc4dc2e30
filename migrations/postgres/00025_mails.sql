-- +goose Up
-- The mail outbox: one row per mail, written when the mail is decided (a sweep over the
-- pending queue, a published reply, an opt-in) and sent by any replica's sender, as
-- webhook_deliveries are. dedupe_key names what the mail is about, so that a sweep run
-- twice, or by two replicas at once, queues it once. recipient is private: it is read
-- only to send the mail. message_id is fixed here, so every attempt of one mail carries
-- the same Message-ID. status: pending (not tried yet), failed (tried, a retry is due at
-- next_attempt_at), sent, dead. A sender holds a row it works on until lease_until.
CREATE TABLE mails (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    headers         TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX mails_due ON mails (next_attempt_at, id) WHERE status IN ('pending', 'failed');
CREATE INDEX mails_recipient ON mails (recipient, created_at);

-- How a moderator wants to hear of waiting comments: per site, or for every site with
-- site_id ''. mode: instant, hourly (a digest), off.
CREATE TABLE mail_preferences (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    site_id TEXT NOT NULL,
    mode    TEXT NOT NULL CHECK (mode IN ('instant', 'hourly', 'off')),
    PRIMARY KEY (user_id, site_id)
);

-- How far a moderator has been told of a site's pending queue: the last comment id a
-- mail named, and when that mail was queued (for the hourly digest).
CREATE TABLE mail_cursors (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    site_id         TEXT NOT NULL,
    last_comment_id BIGINT NOT NULL DEFAULT 0,
    last_mail_at    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, site_id)
);

-- The signed links in mails that have been used (their hash), so each works once.
CREATE TABLE mail_links_used (
    hash    TEXT PRIMARY KEY,
    used_at BIGINT NOT NULL
);

-- The pending queue by site, in arrival order: what the moderators' sweep reads.
CREATE INDEX comments_pending ON comments (site_id, id) WHERE status = 'pending';

-- Deliveries given up on, by when: what the sweep that alerts admins reads.
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (updated_at, id) WHERE status = 'dead';

-- +goose Down
DROP INDEX webhook_deliveries_dead;
DROP INDEX comments_pending;
DROP TABLE mail_links_used;
DROP TABLE mail_cursors;
DROP TABLE mail_preferences;
DROP TABLE mails;
