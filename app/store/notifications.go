package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
)

// Notifications (DESIGN section 12). An operation writes one notify_events row in its own
// transaction; the fan-out (app/notify) later claims it, writes the notifications of its
// recipients and marks it fanned out, in one transaction. Neither changes a page cached for
// many viewers: writes record the members whose notifications changed (Tx.members).

// InsertNotifyEvent writes an event; call it in the transaction of the change it tells of.
func (tx *Tx) InsertNotifyEvent(ctx context.Context, e *model.NotifyEvent) error {
	if _, err := tx.db.NewInsert().Model(e).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("write notify event: %w", mapError(err))
	}
	return nil
}

// PendingNotifyEvents returns the ids of up to limit events not yet fanned out, oldest first.
func (q queries) PendingNotifyEvents(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.NotifyEvent)(nil)).Column("id").
		Where("fanned_out_at IS NULL").Order("id").Limit(int64(limit)).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("pending notify events: %w", err)
	}
	return ids, nil
}

// ClaimNotifyEvent returns event id for the transaction to fan out, or ErrNotFound when it
// was fanned out already or another transaction holds it. On PostgreSQL the row is locked
// until the transaction ends and a row another node holds is skipped, not waited for;
// SQLite's immediate transactions already run one writer at a time.
func (tx *Tx) ClaimNotifyEvent(ctx context.Context, id int64) (*model.NotifyEvent, error) {
	e := new(model.NotifyEvent)
	sel := tx.db.NewSelect().Model(e).Where("id = ? AND fanned_out_at IS NULL", id)
	if tx.store.driver == config.DriverPostgres {
		sel = sel.For("UPDATE SKIP LOCKED")
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("claim notify event %d: %w", id, mapError(err))
	}
	return e, nil
}

// MarkNotifyEventFannedOut records that an event's notifications are written.
func (tx *Tx) MarkNotifyEventFannedOut(ctx context.Context, id int64, at time.Time) error {
	_, err := tx.db.NewUpdate().Model((*model.NotifyEvent)(nil)).Set("fanned_out_at = ?", at).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notify event %d: %w", id, err)
	}
	return nil
}

// DeleteNotifyEvent removes an event that notified nobody, as its fan-out ends: nothing
// reads an event once it is fanned out but its notifications, and it names who acted on
// what, in which thread.
func (tx *Tx) DeleteNotifyEvent(ctx context.Context, id int64) error {
	if _, err := tx.db.NewDelete().Model((*model.NotifyEvent)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete notify event %d: %w", id, err)
	}
	return nil
}

// pruneNotifyChunk is how many events one pruning statement removes, so that the first
// pruning of a large board does not hold the database's writer for long.
const pruneNotifyChunk = 5000

// PruneNotifyEvents removes the events that were fanned out and that no notification
// refers to (those that notified nobody, as the demo board's history, and those whose
// notifications went with their recipients' accounts), and returns how many it removed.
// An event a notification refers to stays: the notification goes with it.
func (s *Store) PruneNotifyEvents(ctx context.Context) (int64, error) {
	var total int64
	for {
		res, err := s.db.NewRaw(`DELETE FROM notify_events WHERE id IN (
			SELECT e.id FROM notify_events AS e
			WHERE e.fanned_out_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM notifications AS n WHERE n.event_id = e.id)
			ORDER BY e.id LIMIT ?)`, pruneNotifyChunk).Exec(ctx)
		if err != nil {
			return total, fmt.Errorf("prune notify events: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneNotifyChunk || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// SettleNotifyEventsAfter marks every event above id that is not fanned out yet as fanned
// out, without notifying anybody: what the demo board's seeding wrote is its history, not
// news. It returns how many it settled.
func (tx *Tx) SettleNotifyEventsAfter(ctx context.Context, id int64, at time.Time) (int64, error) {
	res, err := tx.db.NewUpdate().Model((*model.NotifyEvent)(nil)).Set("fanned_out_at = ?", at).
		Where("id > ? AND fanned_out_at IS NULL", id).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("settle notify events: %w", err)
	}
	return res.RowsAffected()
}

// LatestNotifyEventID returns the id of the newest event, 0 when there is none.
func (q queries) LatestNotifyEventID(ctx context.Context) (int64, error) {
	var id int64
	err := q.db.NewSelect().Model((*model.NotifyEvent)(nil)).ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &id)
	if err != nil {
		return 0, fmt.Errorf("latest notify event: %w", err)
	}
	return id, nil
}

// InsertNotifications writes the notifications of an event and returns those it wrote: a
// recipient who has one of the event already keeps it and is left out (the event and the
// user are unique together), so that writing the same event twice neither notifies nor
// e-mails anybody twice.
func (tx *Tx) InsertNotifications(ctx context.Context, eventID int64, ns []*model.Notification) ([]*model.Notification, error) {
	var had []int64
	if err := tx.db.NewSelect().Model((*model.Notification)(nil)).Column("user_id").Where("event_id = ?", eventID).
		Scan(ctx, &had); err != nil {
		return nil, fmt.Errorf("notifications of event %d: %w", eventID, err)
	}
	existing := make(map[int64]bool, len(had))
	for _, u := range had {
		existing[u] = true
	}
	fresh := make([]*model.Notification, 0, len(ns))
	for _, n := range ns {
		if !existing[n.UserID] {
			n.EventID = eventID
			fresh = append(fresh, n)
			tx.members = append(tx.members, n.UserID)
		}
	}
	for from := 0; from < len(fresh); from += batchRows {
		part := fresh[from:min(from+batchRows, len(fresh))]
		_, err := tx.db.NewInsert().Model(&part).On("CONFLICT (event_id, user_id) DO NOTHING").Returning("NULL").Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("write notifications of event %d: %w", eventID, mapError(err))
		}
	}
	var stored []*model.Notification
	if err := tx.db.NewSelect().Model(&stored).Where("event_id = ?", eventID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("notifications of event %d: %w", eventID, err)
	}
	out := stored[:0]
	for _, n := range stored {
		if !existing[n.UserID] {
			out = append(out, n)
		}
	}
	return out, nil
}

// UnreadNotificationCount counts a member's unread notifications. The header of every page
// a member opens shows it: a count is remembered (memberCache).
func (s *Store) UnreadNotificationCount(ctx context.Context, userID int64) (int, error) {
	now := time.Now()
	if n, ok := s.members.unread(userID, now); ok {
		return n, nil
	}
	inv := s.members.inv.Load()
	n, err := s.db.NewSelect().Model((*model.Notification)(nil)).Where("user_id = ? AND read_at IS NULL", userID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications of user %d: %w", userID, err)
	}
	s.members.keepUnread(userID, int(n), now, inv)
	return int(n), nil
}

// NotificationsOf returns up to limit of a member's notifications, newest first, with an
// id below beforeID (0: from the newest).
func (q queries) NotificationsOf(ctx context.Context, userID, beforeID int64, limit int) ([]*model.Notification, error) {
	var out []*model.Notification
	sel := q.db.NewSelect().Model(&out).Where("user_id = ?", userID).OrderExpr("id DESC")
	if beforeID > 0 {
		sel.Where("id < ?", beforeID)
	}
	if limit > 0 {
		sel.Limit(int64(limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("notifications of user %d: %w", userID, err)
	}
	return out, nil
}

// NotificationOf returns one of a member's notifications, or ErrNotFound.
func (q queries) NotificationOf(ctx context.Context, userID, id int64) (*model.Notification, error) {
	n := new(model.Notification)
	if err := q.db.NewSelect().Model(n).Where("id = ? AND user_id = ?", id, userID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notification %d: %w", id, mapError(err))
	}
	return n, nil
}

// MarkNotificationRead marks one of a member's notifications read; it reports false when
// the member has no such notification.
func (tx *Tx) MarkNotificationRead(ctx context.Context, userID, id int64, at time.Time) (bool, error) {
	tx.memberChanged(userID)
	res, err := tx.db.NewUpdate().Model((*model.Notification)(nil)).Set("read_at = COALESCE(read_at, ?)", at).
		Where("id = ? AND user_id = ?", id, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("mark notification %d read: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// MarkAllNotificationsRead marks every unread notification of a member read.
func (tx *Tx) MarkAllNotificationsRead(ctx context.Context, userID int64, at time.Time) error {
	tx.memberChanged(userID)
	_, err := tx.db.NewUpdate().Model((*model.Notification)(nil)).Set("read_at = ?", at).
		Where("user_id = ? AND read_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notifications of user %d read: %w", userID, err)
	}
	return nil
}

// NotificationPrefsOf returns the e-mail choices the members made (kinds left at their
// default have no row).
func (q queries) NotificationPrefsOf(ctx context.Context, userIDs []int64) ([]model.NotificationPref, error) {
	var out []model.NotificationPref
	for from := 0; from < len(userIDs); from += batchRows {
		var part []model.NotificationPref
		err := q.db.NewSelect().Model(&part).Where("user_id IN (?)", bun.List(userIDs[from:min(from+batchRows, len(userIDs))])).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("notification preferences: %w", err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// SetNotificationPrefs replaces a member's e-mail choices with prefs.
func (tx *Tx) SetNotificationPrefs(ctx context.Context, userID int64, prefs []model.NotificationPref) error {
	if err := tx.DeleteNotificationPrefs(ctx, userID); err != nil {
		return err
	}
	if len(prefs) == 0 {
		return nil
	}
	for i := range prefs {
		prefs[i].UserID = userID
	}
	if _, err := tx.db.NewInsert().Model(&prefs).Exec(ctx); err != nil {
		return fmt.Errorf("save notification preferences of user %d: %w", userID, mapError(err))
	}
	return nil
}

// DeleteNotificationPrefs removes a member's e-mail choices.
func (tx *Tx) DeleteNotificationPrefs(ctx context.Context, userID int64) error {
	if _, err := tx.db.NewDelete().Model((*model.NotificationPref)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete notification preferences of user %d: %w", userID, err)
	}
	return nil
}

// DeleteNotificationsOf removes every notification a member received, and the events
// meant for them alone (an approval, a moderator's action on their post), when the
// account is deleted.
func (tx *Tx) DeleteNotificationsOf(ctx context.Context, userID int64) error {
	tx.memberChanged(userID)
	if _, err := tx.db.NewDelete().Model((*model.Notification)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete notifications of user %d: %w", userID, err)
	}
	if _, err := tx.db.NewDelete().Model((*model.NotifyEvent)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete notify events of user %d: %w", userID, err)
	}
	return nil
}

// ScrubNotifyReasons empties the words a member wrote as the reason of their actions (a
// moderator's reason for hiding a post), in events and in the notifications of others,
// when the account is deleted. The rows stay: the others keep their notices, which then
// name a former member.
func (tx *Tx) ScrubNotifyReasons(ctx context.Context, actorID int64) error {
	if _, err := tx.db.NewUpdate().Model((*model.NotifyEvent)(nil)).Set("reason = ''").
		Where("actor_id = ? AND reason <> ''", actorID).Exec(ctx); err != nil {
		return fmt.Errorf("scrub notify events of user %d: %w", actorID, err)
	}
	var users []int64
	if err := tx.db.NewSelect().Model((*model.Notification)(nil)).ColumnExpr("DISTINCT user_id").
		Where("actor_id = ? AND reason <> ''", actorID).Scan(ctx, &users); err != nil {
		return fmt.Errorf("notifications by user %d: %w", actorID, err)
	}
	tx.memberChanged(users...)
	if _, err := tx.db.NewUpdate().Model((*model.Notification)(nil)).Set("reason = ''").
		Where("actor_id = ? AND reason <> ''", actorID).Exec(ctx); err != nil {
		return fmt.Errorf("scrub notifications by user %d: %w", actorID, err)
	}
	return nil
}

// PostsByIDs returns the posts with the given ids, by id, without their authors.
func (q queries) PostsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Post, error) {
	out := map[int64]*model.Post{}
	if len(ids) == 0 {
		return out, nil
	}
	var posts []*model.Post
	if err := q.db.NewSelect().Model(&posts).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("posts by id: %w", err)
	}
	for _, p := range posts {
		out[p.ID] = p
	}
	return out, nil
}

// ThreadRowsByIDs returns the threads with the given ids, by id, without authors and tags.
func (q queries) ThreadRowsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Thread, error) {
	out := map[int64]*model.Thread{}
	if len(ids) == 0 {
		return out, nil
	}
	var threads []*model.Thread
	if err := q.db.NewSelect().Model(&threads).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("threads by id: %w", err)
	}
	for _, t := range threads {
		out[t.ID] = t
	}
	return out, nil
}

// TagsByIDs returns the topics with the given ids, by id.
func (q queries) TagsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Tag, error) {
	out := map[int64]*model.Tag{}
	if len(ids) == 0 {
		return out, nil
	}
	var tags []*model.Tag
	if err := q.db.NewSelect().Model(&tags).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("topics by id: %w", err)
	}
	for _, t := range tags {
		out[t.ID] = t
	}
	return out, nil
}

// UsersByPseudonyms returns the accounts whose pseudonyms are among names, compared
// case-insensitively (to resolve @mentions).
func (q queries) UsersByPseudonyms(ctx context.Context, names []string) ([]*model.User, error) {
	var out []*model.User
	if len(names) == 0 {
		return out, nil
	}
	lowered := make([]string, len(names))
	for i, n := range names {
		lowered[i] = lower(n)
	}
	if err := q.db.NewSelect().Model(&out).Where("pseudonym_lower IN (?)", bun.List(lowered)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("users by pseudonym: %w", err)
	}
	return out, nil
}

// MembersByPrefix returns up to limit active members (approved, with a pseudonym they
// chose) whose pseudonym starts with prefix, case-insensitively, in order, leaving out
// exceptID: the names offered as a member types an @mention.
func (q queries) MembersByPrefix(ctx context.Context, prefix string, exceptID int64, limit int) ([]*model.User, error) {
	var out []*model.User
	pattern := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(lower(prefix)) + "%"
	err := q.db.NewSelect().Model(&out).Column("id", "pseudonym", "role", "status", "pseudonym_chosen_at").
		Where(`pseudonym_lower LIKE ? ESCAPE '\'`, pattern).
		Where("status = ? AND role <> ? AND pseudonym_chosen_at IS NOT NULL AND id <> ?", model.StatusActive, model.RolePending, exceptID).
		Order("pseudonym_lower").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("members by prefix: %w", err)
	}
	return out, nil
}
