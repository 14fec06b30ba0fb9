-- Named queries shared by every back end. Parameters use the :name style. A back end's
-- own queries.sql holds the few that differ.

-- name: insert_assistant
INSERT INTO assistants (assistant_id, graph_id, config, context, metadata, name, description,
                        version, created_at, updated_at)
VALUES (:assistant_id, :graph_id, :config, :context, :metadata, :name, :description,
        :version, :created_at, :updated_at)
ON CONFLICT (assistant_id) DO NOTHING;

-- name: insert_assistant_version
INSERT INTO assistant_versions (assistant_id, version, graph_id, config, context, metadata, name,
                                description, created_at)
VALUES (:assistant_id, :version, :graph_id, :config, :context, :metadata, :name, :description,
        :created_at)
ON CONFLICT (assistant_id, version) DO NOTHING;

-- name: get_assistant
SELECT * FROM assistants WHERE assistant_id = :assistant_id;

-- name: update_assistant
UPDATE assistants
SET graph_id = :graph_id, config = :config, context = :context, metadata = :metadata,
    name = :name, description = :description, version = :version, updated_at = :updated_at
WHERE assistant_id = :assistant_id;

-- name: max_assistant_version
SELECT COALESCE(MAX(version), 0) AS version FROM assistant_versions
WHERE assistant_id = :assistant_id;

-- name: get_assistant_version
SELECT * FROM assistant_versions WHERE assistant_id = :assistant_id AND version = :version;

-- name: list_assistant_versions
SELECT * FROM assistant_versions WHERE assistant_id = :assistant_id ORDER BY version DESC;

-- name: delete_assistant
DELETE FROM assistants WHERE assistant_id = :assistant_id;

-- name: delete_assistant_versions
DELETE FROM assistant_versions WHERE assistant_id = :assistant_id;

-- name: insert_thread
INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, status,
                     config, "values", interrupts, error, has_run)
VALUES (:thread_id, :created_at, :updated_at, :state_updated_at, :metadata, :status,
        :config, :values, :interrupts, :error, :has_run);

-- name: get_thread
SELECT * FROM threads WHERE thread_id = :thread_id;

-- name: update_thread_metadata
UPDATE threads SET metadata = :metadata, updated_at = :updated_at WHERE thread_id = :thread_id;

-- name: update_thread_state
UPDATE threads
SET "values" = :values, status = :status, interrupts = :interrupts, error = :error,
    updated_at = :updated_at, state_updated_at = :updated_at, has_run = :has_run
WHERE thread_id = :thread_id;

-- name: mark_thread_busy
UPDATE threads
SET status = 'busy', metadata = :metadata, config = :config, updated_at = :updated_at
WHERE thread_id = :thread_id;

-- name: set_thread_status
UPDATE threads SET status = :status, updated_at = :updated_at WHERE thread_id = :thread_id;

-- name: delete_thread
DELETE FROM threads WHERE thread_id = :thread_id;

-- name: insert_run
INSERT INTO runs (run_id, thread_id, assistant_id, graph_id, status, metadata, kwargs,
                  multitask_strategy, created_at, updated_at, available_at, attempt, output,
                  on_completion, temporary)
VALUES (:run_id, :thread_id, :assistant_id, :graph_id, :status, :metadata, :kwargs,
        :multitask_strategy, :created_at, :updated_at, :available_at, :attempt, :output,
        :on_completion, :temporary);

-- name: get_run
SELECT * FROM runs WHERE run_id = :run_id;

-- name: list_runs
SELECT * FROM runs
WHERE thread_id = :thread_id AND (CAST(:status AS TEXT) IS NULL OR status = :status)
ORDER BY created_at DESC, run_id DESC
LIMIT :limit OFFSET :offset;

-- name: active_runs
SELECT * FROM runs
WHERE thread_id = :thread_id AND status IN ('pending', 'running')
ORDER BY created_at, run_id;

-- name: next_available_at
SELECT MIN(available_at) AS available_at FROM runs WHERE status = 'pending';

-- name: finish_run
-- With a worker id, only that worker's running attempt may end the run.
UPDATE runs SET status = :status, output = :output, updated_at = :updated_at,
                lease_until = NULL
WHERE run_id = :run_id
  AND (CAST(:worker_id AS TEXT) IS NULL
       OR (worker_id = :worker_id AND status = 'running' AND attempt = :attempt));

-- name: set_run_status
UPDATE runs SET status = :status, updated_at = :updated_at WHERE run_id = :run_id;

-- name: requeue_running
UPDATE runs SET status = 'pending', updated_at = :now, worker_id = NULL, lease_until = NULL
WHERE status = 'running' AND (CAST(:worker_id AS TEXT) IS NULL OR worker_id = :worker_id)
RETURNING run_id;

-- name: renew_lease
UPDATE runs SET lease_until = :lease_until
WHERE run_id = :run_id AND worker_id = :worker_id AND status = 'running'
RETURNING run_id, cancel_action;

-- name: release_run
-- One attempt lets go of its run: the lease ends now, and recovery requeues it.
UPDATE runs SET lease_until = :now
WHERE run_id = :run_id AND worker_id = :worker_id AND status = 'running' AND attempt = :attempt;

-- name: expired_leases
SELECT * FROM runs WHERE status = 'running' AND lease_until < :now
ORDER BY lease_until LIMIT :limit;

-- name: requeue_expired
UPDATE runs SET status = 'pending', updated_at = :now, worker_id = NULL, lease_until = NULL
WHERE run_id = :run_id AND status = 'running' AND lease_until < :now;

-- name: request_cancel
UPDATE runs SET cancel_action = :action WHERE run_id = :run_id AND status = 'running';

-- name: delete_run
DELETE FROM runs WHERE run_id = :run_id;

-- name: upsert_interrupt
-- A pause seen again stays answered while the run that answered it has not started yet.
INSERT INTO interrupts (interrupt_id, thread_id, run_id, assistant_id, graph_id, checkpoint_id,
                        task_id, namespace, node, "when", value, response_schema, status,
                        created_at, expires_at, expiry_action)
VALUES (:interrupt_id, :thread_id, :run_id, :assistant_id, :graph_id, :checkpoint_id,
        :task_id, :namespace, :node, :when, :value, :response_schema, 'pending', :created_at,
        :expires_at, :expiry_action)
ON CONFLICT (thread_id, interrupt_id) DO UPDATE
SET run_id = excluded.run_id, checkpoint_id = excluded.checkpoint_id,
    task_id = excluded.task_id, value = excluded.value,
    response_schema = excluded.response_schema,
    status = CASE WHEN interrupts.status = 'resolved' AND interrupts.resolved_by_run_id IN (
                      SELECT run_id FROM runs WHERE status = 'pending')
                  THEN interrupts.status ELSE 'pending' END,
    resolved_at = CASE WHEN interrupts.status = 'resolved' AND interrupts.resolved_by_run_id IN (
                      SELECT run_id FROM runs WHERE status = 'pending')
                  THEN interrupts.resolved_at ELSE NULL END,
    resolved_by_run_id = CASE WHEN interrupts.status = 'resolved' AND
                      interrupts.resolved_by_run_id IN (
                      SELECT run_id FROM runs WHERE status = 'pending')
                  THEN interrupts.resolved_by_run_id ELSE NULL END,
    created_at = CASE WHEN interrupts.status = 'pending' THEN interrupts.created_at
                      ELSE excluded.created_at END,
    expires_at = CASE WHEN interrupts.status = 'pending' THEN interrupts.expires_at
                      ELSE excluded.expires_at END,
    expiry_action = excluded.expiry_action;

-- name: pending_interrupts
SELECT * FROM interrupts WHERE thread_id = :thread_id AND status = 'pending'
ORDER BY created_at, interrupt_id;

-- name: resolve_interrupt
UPDATE interrupts SET status = :status, resolved_at = :resolved_at,
                      resolved_by_run_id = :resolved_by_run_id
WHERE thread_id = :thread_id AND interrupt_id = :interrupt_id AND status = 'pending';

-- name: cancel_thread_interrupts
UPDATE interrupts SET status = 'cancelled', resolved_at = :resolved_at
WHERE thread_id = :thread_id AND status = 'pending';

-- name: insert_event
INSERT INTO run_events (run_id, thread_id, event, data, created_at)
VALUES (:run_id, :thread_id, :event, :data, :created_at)
RETURNING event_id;

-- name: run_events_after
SELECT * FROM run_events WHERE run_id = :run_id AND event_id > :after
ORDER BY event_id LIMIT :limit;

-- name: thread_events_after
SELECT * FROM run_events WHERE thread_id = :thread_id AND event_id > :after
ORDER BY event_id LIMIT :limit;

-- name: last_thread_event
SELECT COALESCE(MAX(event_id), 0) AS event_id FROM run_events WHERE thread_id = :thread_id;

-- name: prune_events
DELETE FROM run_events
WHERE created_at < :before
  AND run_id NOT IN (SELECT run_id FROM runs WHERE status IN ('pending', 'running'));

-- name: delete_thread_events
DELETE FROM run_events WHERE thread_id = :thread_id;

-- name: get_interrupts_by_id
SELECT * FROM interrupts WHERE interrupt_id = :interrupt_id ORDER BY created_at DESC;

-- name: get_thread_interrupt
SELECT * FROM interrupts WHERE thread_id = :thread_id AND interrupt_id = :interrupt_id;

-- name: thread_interrupts
SELECT * FROM interrupts WHERE thread_id = :thread_id ORDER BY created_at, interrupt_id;

-- name: claim_interrupt
UPDATE interrupts
SET status = :status, resolved_at = :resolved_at, resolved_by_run_id = :run_id,
    decision_id = :decision_id
WHERE thread_id = :thread_id AND interrupt_id = :interrupt_id AND status = 'pending';

-- name: release_claims
-- A resume run withdrawn before it started gives its interrupts back.
UPDATE interrupts SET status = 'pending', resolved_at = NULL, resolved_by_run_id = NULL,
                      decision_id = NULL
WHERE resolved_by_run_id = :run_id AND status IN ('resolved', 'expired');

-- name: insert_decision
INSERT INTO decisions (decision_id, interrupt_id, thread_id, run_id, value, actor, source,
                       payload_sha256, created_at)
VALUES (:decision_id, :interrupt_id, :thread_id, :run_id, :value, :actor, :source,
        :payload_sha256, :created_at);

-- name: delete_thread_decisions
DELETE FROM decisions WHERE thread_id = :thread_id;

-- name: expired_interrupts
SELECT * FROM interrupts WHERE status = 'pending' AND expires_at IS NOT NULL
  AND expires_at <= :now
ORDER BY expires_at LIMIT :limit;

-- name: set_interrupt_status
UPDATE interrupts SET status = :status, resolved_at = :resolved_at, decision_id = :decision_id
WHERE thread_id = :thread_id AND interrupt_id = :interrupt_id AND status = 'pending';

-- name: clear_thread_metadata
DELETE FROM thread_metadata WHERE thread_id = :thread_id;

-- name: insert_thread_metadata
INSERT INTO thread_metadata (thread_id, key, value) VALUES (:thread_id, :key, :value);

-- name: insert_outbox
INSERT INTO outbox (event_id, event_type, payload, created_at)
VALUES (:event_id, :event_type, :payload, :created_at);

-- name: undispatched_outbox
SELECT * FROM outbox WHERE dispatched = 0 ORDER BY created_at, event_id LIMIT :limit;

-- name: mark_dispatched
UPDATE outbox SET dispatched = 1 WHERE event_id = :event_id;

-- name: insert_delivery
INSERT INTO webhook_deliveries (delivery_id, event_id, event_type, url, status, attempts,
                                next_attempt_at, created_at)
VALUES (:delivery_id, :event_id, :event_type, :url, 'pending', 0, :now, :now)
ON CONFLICT (event_id, url) DO NOTHING;

-- name: due_deliveries
SELECT d.*, o.payload FROM webhook_deliveries AS d JOIN outbox AS o ON o.event_id = d.event_id
WHERE d.status = 'pending' AND d.next_attempt_at <= :now
ORDER BY d.next_attempt_at LIMIT :limit;

-- name: lease_delivery
UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :lease_until
WHERE delivery_id = :delivery_id AND status = 'pending' AND next_attempt_at <= :now;

-- name: delivery_done
UPDATE webhook_deliveries
SET status = :status, last_status_code = :status_code, last_error = :error,
    next_attempt_at = :next_attempt_at, delivered_at = :delivered_at
WHERE delivery_id = :delivery_id;

-- name: prune_outbox
DELETE FROM outbox WHERE dispatched = 1 AND created_at < :before
  AND event_id NOT IN (SELECT event_id FROM webhook_deliveries WHERE status = 'pending');

-- name: get_outbox
SELECT * FROM outbox WHERE event_id = :event_id;
