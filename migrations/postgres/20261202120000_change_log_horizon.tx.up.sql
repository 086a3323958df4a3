-- Each change-log row records the transaction that wrote it (its xid8, as a bigint). Ids come
-- from a sequence and are not committed in order; a reader reads in the order of (tx, id) and
-- only the rows whose transaction is older than every transaction still running (the xmin of
-- its snapshot): those rows are final, and no row can ever appear before them. The rows
-- written before this migration are all committed (adding the column waits for the writers),
-- so they take transaction 0 and keep their order by id.
ALTER TABLE changes ADD COLUMN tx BIGINT NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE changes ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint);
--bun:split
CREATE INDEX changes_tx_id ON changes (tx, id);
--bun:split
-- A reader's position, and the pruned mark, are a (tx, id) pair; the positions recorded so
-- far were ids among the rows of transaction 0.
ALTER TABLE change_readers ADD COLUMN applied_tx BIGINT NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE change_log_pruned ADD COLUMN through_tx BIGINT NOT NULL DEFAULT 0;
--bun:split
-- The budgets of requests per client that every node shares (PostgreSQL): one row per rule
-- and client, holding the theoretical arrival time of its next request in microseconds
-- since 1970 (the generic cell rate algorithm). A row whose time has passed is a full
-- budget, and is removed.
CREATE TABLE rate_limits (
    rule   TEXT NOT NULL,
    client TEXT NOT NULL,
    tat    BIGINT NOT NULL,
    PRIMARY KEY (rule, client)
);
--bun:split
CREATE INDEX rate_limits_tat ON rate_limits (tat);
