-- The durable event log behind every stream: one row per SSE event, ids increase for ever.
CREATE TABLE run_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX run_events_run ON run_events (run_id, event_id);
CREATE INDEX run_events_thread ON run_events (thread_id, event_id);
CREATE INDEX run_events_created_at ON run_events (created_at);
