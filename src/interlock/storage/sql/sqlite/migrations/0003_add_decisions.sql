-- Interrupts as first-class records: expiry, the decision that answered them, and the
-- append-only decisions ledger.
ALTER TABLE interrupts ADD COLUMN expires_at TEXT;
ALTER TABLE interrupts ADD COLUMN expiry_action TEXT;
ALTER TABLE interrupts ADD COLUMN decision_id TEXT;
CREATE INDEX interrupts_thread_status ON interrupts (thread_id, status);
CREATE INDEX interrupts_graph_status ON interrupts (graph_id, status, created_at);
CREATE INDEX interrupts_expiry ON interrupts (status, expires_at);
CREATE INDEX interrupts_id ON interrupts (interrupt_id);

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
