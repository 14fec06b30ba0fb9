-- The PostgreSQL schema that applying every migration in order produces (checked by a test).
-- Timestamps are ISO 8601 text in UTC and JSON is text, as on SQLite, so one set of
-- operations serves both databases.
CREATE TABLE assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id TEXT NOT NULL,
    config TEXT NOT NULL,
    context TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX assistants_graph_id ON assistants (graph_id);

CREATE TABLE assistant_versions (
    assistant_id TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    graph_id TEXT NOT NULL,
    config TEXT NOT NULL,
    context TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (assistant_id, version)
);

CREATE TABLE threads (
    thread_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state_updated_at TEXT NOT NULL,
    metadata TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    "values" TEXT,
    interrupts TEXT NOT NULL,
    error TEXT,
    has_run INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX threads_status ON threads (status);
CREATE INDEX threads_created_at ON threads (created_at);

CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    assistant_id TEXT NOT NULL,
    graph_id TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    kwargs TEXT NOT NULL,
    multitask_strategy TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    available_at TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    output TEXT,
    on_completion TEXT NOT NULL DEFAULT 'keep',
    temporary INTEGER NOT NULL DEFAULT 0,
    worker_id TEXT,
    lease_until TEXT,
    cancel_action TEXT
);
CREATE INDEX runs_thread ON runs (thread_id, created_at);
CREATE INDEX runs_queue ON runs (status, available_at);
CREATE INDEX runs_lease ON runs (status, lease_until);

CREATE TABLE interrupts (
    interrupt_id TEXT NOT NULL,
    thread_id TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    graph_id TEXT NOT NULL,
    checkpoint_id TEXT,
    task_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    node TEXT NOT NULL,
    "when" TEXT NOT NULL,
    value TEXT,
    response_schema TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by_run_id TEXT,
    expires_at TEXT,
    expiry_action TEXT,
    decision_id TEXT,
    PRIMARY KEY (thread_id, interrupt_id)
);
CREATE INDEX interrupts_status ON interrupts (status, created_at);
CREATE INDEX interrupts_thread_status ON interrupts (thread_id, status);
CREATE INDEX interrupts_graph_status ON interrupts (graph_id, status, created_at);
CREATE INDEX interrupts_expiry ON interrupts (status, expires_at);
CREATE INDEX interrupts_id ON interrupts (interrupt_id);

CREATE TABLE run_events (
    event_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_id, event_id);
CREATE INDEX run_events_thread ON run_events (thread_id, event_id);
CREATE INDEX run_events_created_at ON run_events (created_at);

CREATE TABLE decisions (
    decision_id TEXT PRIMARY KEY,
    interrupt_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    run_id TEXT,
    value TEXT,
    actor TEXT,
    source TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX decisions_thread ON decisions (thread_id, created_at);
CREATE INDEX decisions_interrupt ON decisions (interrupt_id, created_at);
CREATE INDEX decisions_created_at ON decisions (created_at);

CREATE TABLE thread_metadata (
    thread_id TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (thread_id, key)
);
CREATE INDEX thread_metadata_lookup ON thread_metadata (key, value);

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
