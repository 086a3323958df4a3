-- The readers of the change log and how far each has applied it. The search index of
-- every node records the last row it applied after each batch; rows that every reader
-- heard of lately has applied, and that are older than a safety age, are pruned.
CREATE TABLE change_readers (
    node       TEXT NOT NULL,
    reader     TEXT NOT NULL,
    applied_id BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (node, reader)
);
--bun:split
-- The highest change-log id pruned, in one row: a reader whose position is below it
-- missed rows, and rebuilds what it keeps from the database.
CREATE TABLE change_log_pruned (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    through_id BIGINT NOT NULL,
    pruned_at  TIMESTAMPTZ NOT NULL
);
