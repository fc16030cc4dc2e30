-- +goose Up
-- Webhook endpoints per site. secret is the current signing secret (whsec_<base64>);
-- during a rotation previous_secret signs alongside it until previous_expires_at.
-- events is a JSON list of the event types the endpoint subscribes to.
CREATE TABLE webhook_endpoints (
    id                  BIGSERIAL PRIMARY KEY,
    site_id             TEXT NOT NULL REFERENCES sites (id),
    url                 TEXT NOT NULL,
    events              TEXT NOT NULL DEFAULT '[]',
    description         TEXT NOT NULL DEFAULT '',
    secret              TEXT NOT NULL,
    previous_secret     TEXT NOT NULL DEFAULT '',
    previous_expires_at BIGINT NOT NULL DEFAULT 0,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_endpoints_site ON webhook_endpoints (site_id, id);

-- The outbox: one row per event and endpoint, written in the transaction of the change
-- that causes it. payload is the exact body sent, fixed when the event happened.
-- status: pending (not tried yet), failed (tried, a retry is due at next_attempt_at),
-- delivered, dead. A dispatcher holds a row it works on until lease_until.
CREATE TABLE webhook_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    endpoint_id      BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    comment_id       BIGINT NOT NULL DEFAULT 0,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT NOT NULL DEFAULT 0,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    latency_ms       BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, comment_id, id) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
