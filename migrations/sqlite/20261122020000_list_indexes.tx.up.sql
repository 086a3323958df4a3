-- Lists filter on pinned and hidden before ordering by activity: index them in that order,
-- so the pinned list does not scan every thread.
CREATE INDEX threads_pinned_activity ON threads (pinned, hidden, last_activity_at, id);
