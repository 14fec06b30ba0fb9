-- Leases: the worker that runs a run holds it until `lease_until`, renewing it with
-- heartbeats; an expired lease puts the run back in the queue. `cancel_action` carries a
-- cancel to whichever process runs it.
ALTER TABLE runs ADD COLUMN worker_id TEXT;
ALTER TABLE runs ADD COLUMN lease_until TEXT;
ALTER TABLE runs ADD COLUMN cancel_action TEXT;
CREATE INDEX runs_lease ON runs (status, lease_until);
