-- The PostgreSQL queries that differ from common/queries.sql (row locks).

-- name: lock_thread
-- The per-thread lock under which multitask strategies are decided.
SELECT * FROM threads WHERE thread_id = :thread_id FOR UPDATE;

-- name: claim_run
UPDATE runs SET status = 'running', attempt = attempt + 1, updated_at = :now,
                worker_id = :worker_id, lease_until = :lease_until, cancel_action = NULL
WHERE run_id = (
    SELECT r.run_id FROM runs AS r
    WHERE r.status = 'pending' AND r.available_at <= :now
      AND NOT EXISTS (
          SELECT 1 FROM runs AS o
          WHERE o.thread_id = r.thread_id
            AND (o.status = 'running'
                 OR (o.status = 'pending' AND (o.created_at, o.run_id) < (r.created_at, r.run_id))))
    ORDER BY r.available_at, r.created_at
    LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING *;
