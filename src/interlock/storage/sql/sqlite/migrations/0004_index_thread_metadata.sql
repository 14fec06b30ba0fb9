-- Thread metadata as key/value rows, so metadata filters (thread search, the interrupt
-- inbox) are index lookups instead of a JSON scan of every thread.
CREATE TABLE thread_metadata (
    thread_id TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (thread_id, key)
);
CREATE INDEX thread_metadata_lookup ON thread_metadata (key, value);
INSERT INTO thread_metadata (thread_id, key, value)
SELECT t.thread_id, j.key,
       CASE j.type WHEN 'text' THEN json_quote(j.value) WHEN 'true' THEN 'true'
                   WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' ELSE j.value END
FROM threads AS t, json_each(t.metadata) AS j;
