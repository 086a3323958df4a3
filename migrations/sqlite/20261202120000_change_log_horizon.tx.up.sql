-- Each change-log row records its place in the order of the transactions that wrote the
-- log (tx), as on PostgreSQL, where it is the writing transaction's id. SQLite has one
-- writer at a time, so rows are committed in the order of their ids: a row's tx is its id.
ALTER TABLE changes ADD COLUMN tx INTEGER NOT NULL DEFAULT 0;
--bun:split
UPDATE changes SET tx = id;
--bun:split
CREATE TRIGGER changes_tx AFTER INSERT ON changes BEGIN
    UPDATE changes SET tx = NEW.id WHERE id = NEW.id;
END;
--bun:split
CREATE INDEX changes_tx_id ON changes (tx, id);
--bun:split
-- A reader's position, and the pruned mark, are a (tx, id) pair.
ALTER TABLE change_readers ADD COLUMN applied_tx INTEGER NOT NULL DEFAULT 0;
--bun:split
UPDATE change_readers SET applied_tx = applied_id;
--bun:split
ALTER TABLE change_log_pruned ADD COLUMN through_tx INTEGER NOT NULL DEFAULT 0;
--bun:split
UPDATE change_log_pruned SET through_tx = through_id;
--bun:split
-- The budgets of requests per client that the nodes share on PostgreSQL. SQLite serves
-- one node, which keeps its budgets in memory: here the table stays empty.
CREATE TABLE rate_limits (
    rule   TEXT NOT NULL,
    client TEXT NOT NULL,
    tat    INTEGER NOT NULL,
    PRIMARY KEY (rule, client)
);
--bun:split
CREATE INDEX rate_limits_tat ON rate_limits (tat);
