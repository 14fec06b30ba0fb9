-- Webhooks: an outbox written in the same transaction as the event it announces, and one
-- delivery row per subscriber, retried until delivered or out of attempts.
CREATE TABLE outbox (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    dispatched INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_dispatch ON outbox (dispatched, created_at);

CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (event_id, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_created_at ON webhook_deliveries (created_at);
