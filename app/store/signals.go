package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"forum/app/config"
)

// The signals between the nodes of the forum. A transaction that writes a change-log row
// tells this process's listeners after it commits; on PostgreSQL it also sends a NOTIFY on
// the channel forum_changes (from inside the transaction, so PostgreSQL delivers it at the
// commit and never for a rollback), which every node's listener hears on a connection of
// its own. A member's new notifications, and a member's own changes (follows, notifications
// read: Tx.memberChanged), are announced the same way on forum_notified, and a write that
// no change-log row names and that drops every cached page here (an account suspended, a
// session revoked, a role, a topic's name: Store.Changed) on forum_generation, so that the
// other nodes drop theirs, and the sessions they remember, at the same moment. A
// payload carries the sending node's name, so that a node does not hear its own writes
// twice, and nothing else that a person wrote: a change id, or member ids.
const (
	changesChannel    = "forum_changes"
	notifiedChannel   = "forum_notified"
	generationChannel = "forum_generation"
	// maxPayload keeps a NOTIFY below PostgreSQL's limit of 8,000 bytes.
	maxPayload = 7000
)

// listenCheckEvery is how long a quiet listening connection waits before it checks that it
// is still there (a variable for the tests).
var listenCheckEvery = time.Minute

// channels are the names of a forum's channels. NOTIFY reaches every session of the
// database: a forum in a schema other than public (tests, or two forums on one database)
// has channels of its own, so that it never hears another's writes.
type channels struct{ changes, notified, generation string }

func channelsOf(schema string) channels {
	name := func(base string) string {
		if schema == "" || schema == "public" {
			return base
		}
		if n := base + "_" + schema; len(n) <= 63 { // PostgreSQL's longest identifier
			return n
		}
		sum := sha256.Sum256([]byte(schema))
		return base + "_" + hex.EncodeToString(sum[:8])
	}
	return channels{changes: name(changesChannel), notified: name(notifiedChannel), generation: name(generationChannel)}
}

// findChannels names the channels of the forum in the database's current schema.
func (s *Store) findChannels(ctx context.Context) error {
	var schema string
	if err := s.db.NewSelect().ColumnExpr("current_schema()").Scan(ctx, &schema); err != nil {
		return fmt.Errorf("current schema: %w", err)
	}
	s.channels = channelsOf(schema)
	return nil
}

// Listeners are called when something changed that a node may show.
type Listeners struct {
	// Changed: a change-log row was committed, by this node or (PostgreSQL) another.
	Changed func()
	// UsersNotified: these members got new notifications, here or on another node.
	UsersNotified func(userIDs []int64)
	// Trouble reports a lost or refused connection to PostgreSQL; ListenOtherNodes tries again.
	Trouble func(err error)
}

// signals holds the listeners of one Store.
type signals struct {
	mu   sync.Mutex
	next int
	set  map[int]Listeners
	// soon is the timer of a look asked for by WakeReadersIn, and due when it fires.
	soon *time.Timer
	due  time.Time
}

func (sg *signals) add(l Listeners) int {
	sg.mu.Lock()
	defer sg.mu.Unlock()
	if sg.set == nil {
		sg.set = map[int]Listeners{}
	}
	sg.next++
	sg.set[sg.next] = l
	return sg.next
}

func (sg *signals) remove(id int) {
	sg.mu.Lock()
	defer sg.mu.Unlock()
	delete(sg.set, id)
}

func (sg *signals) each(fn func(Listeners)) {
	sg.mu.Lock()
	ls := make([]Listeners, 0, len(sg.set))
	for _, l := range sg.set {
		ls = append(ls, l)
	}
	sg.mu.Unlock()
	for _, l := range ls {
		fn(l)
	}
}

func (sg *signals) changed() {
	sg.each(func(l Listeners) {
		if l.Changed != nil {
			l.Changed()
		}
	})
}

// wakeIn calls every Changed listener after d, once for all the calls that ask before then.
func (sg *signals) wakeIn(d time.Duration) {
	sg.mu.Lock()
	defer sg.mu.Unlock()
	at := time.Now().Add(d)
	if sg.soon != nil && !sg.due.After(at) {
		return // a look as soon or sooner is already due
	}
	if sg.soon != nil {
		sg.soon.Stop()
	}
	sg.due = at
	sg.soon = time.AfterFunc(d, func() {
		sg.mu.Lock()
		sg.soon = nil
		sg.mu.Unlock()
		sg.changed()
	})
}

func (sg *signals) usersNotified(ids []int64) {
	sg.each(func(l Listeners) {
		if l.UsersNotified != nil {
			l.UsersNotified(ids)
		}
	})
}

// newNodeName returns a name for a Store, new in each process: the sender of a signal.
func newNodeName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// HearsOtherNodes reports whether ListenOtherNodes hears the writes of other nodes as they
// commit (PostgreSQL). On SQLite only this process is heard: a reader that must see another
// process's writes (a command-line tool on the same file) still polls for them.
func (s *Store) HearsOtherNodes() bool { return s.driver == config.DriverPostgres }

// Hear calls l's functions as this process commits changes and announces notifications,
// from now until ctx ends. It returns at once.
func (s *Store) Hear(ctx context.Context, l Listeners) {
	id := s.signals.add(l)
	context.AfterFunc(ctx, func() { s.signals.remove(id) })
}

// WakeReadersIn calls the Changed listeners (Hear) after d: a reader of the change log that
// found committed rows waiting behind a transaction still open asks to look again, since
// the end of that transaction (a write of no change-log row) sends no signal.
func (s *Store) WakeReadersIn(d time.Duration) { s.signals.wakeIn(d) }

// ListenOtherNodes passes what other nodes signal to this Store's listeners (Hear) as they
// commit changes and announce notifications, until ctx ends: one connection per node wakes
// all its readers of the change log at once. On PostgreSQL it listens on a connection of
// its own, connecting again with a growing pause when the connection is lost, which it
// reports to l.Trouble; after each (re)connection it calls the Changed listeners, since
// writes committed while it was not listening were not heard. On SQLite, where other
// processes cannot be heard, it returns at once.
func (s *Store) ListenOtherNodes(ctx context.Context, l Listeners) {
	if s.driver != config.DriverPostgres {
		return
	}
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		heard, err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if heard {
			pause = 100 * time.Millisecond // it worked for a while: the next try is soon
		}
		if l.Trouble != nil {
			l.Trouble(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 10*time.Second)
	}
}

// listenOnce connects, listens and tells the listeners until the connection fails or ctx ends. It
// reports whether it got as far as listening.
func (s *Store) listenOnce(ctx context.Context) (bool, error) {
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(connectCtx, s.dsn)
	cancel()
	if err != nil {
		return false, fmt.Errorf("connect to listen for other nodes' changes: %s", oneLine(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{s.channels.changes, s.channels.notified, s.channels.generation} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return false, fmt.Errorf("listen on %s: %s", ch, oneLine(err))
		}
	}
	// What was committed while nobody listened: the change log is read again, and what no
	// row names is dropped.
	s.Changed()
	s.signals.changed()
	for {
		wait, cancel := context.WithTimeout(ctx, listenCheckEvery)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if err != nil && ctx.Err() == nil && wait.Err() != nil {
			// Quiet for a while: a connection that died without a word (a dropped network
			// path) is found by asking, not by waiting.
			pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = conn.Ping(pingCtx)
			cancel()
			if err == nil {
				continue
			}
		}
		if err != nil {
			return true, fmt.Errorf("wait for other nodes' changes: %s", oneLine(err))
		}
		from, rest, _ := strings.Cut(n.Payload, " ")
		if from == s.node {
			continue // this Store told its own listeners (Hear) at the commit
		}
		switch n.Channel {
		case s.channels.changes:
			s.signals.changed()
		case s.channels.generation:
			s.Changed()
		case s.channels.notified:
			ids := parseIDs(rest)
			// What this node remembers of their counts is out of date.
			s.members.drop(ids)
			if len(ids) > 0 {
				s.signals.usersNotified(ids)
			}
		}
	}
}

// notifyChanged sends, inside a transaction that wrote change-log rows up to row last, the
// NOTIFY that PostgreSQL delivers to every node when it commits.
func (tx *Tx) notifyChanged(ctx context.Context, last int64) error {
	if tx.store.driver != config.DriverPostgres {
		return nil
	}
	_, err := tx.db.NewRaw("SELECT pg_notify(?, ?)", tx.store.channels.changes, tx.store.node+" "+strconv.FormatInt(last, 10)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("notify other nodes of change %d: %w", last, err)
	}
	return nil
}

// announceGeneration sends, inside a transaction that drops every cached page here after
// its commit (Store.Changed), the NOTIFY that has the other nodes do the same when
// PostgreSQL delivers it, at the commit: their pages, and the sessions and accounts they
// remember, so that a suspension or a session revoked here holds on every node at once.
func (tx *Tx) announceGeneration(ctx context.Context) error {
	if tx.store.driver != config.DriverPostgres {
		return nil
	}
	if _, err := tx.db.NewRaw("SELECT pg_notify(?, ?)", tx.store.channels.generation, tx.store.node).Exec(ctx); err != nil {
		return fmt.Errorf("announce a change to other nodes: %w", err)
	}
	return nil
}

// announceMembers sends, inside a transaction, the NOTIFY that tells the other nodes (when
// PostgreSQL delivers it, at the commit) that the members the transaction changed
// (memberChanged) have their own state changed: they drop what they remember of them and
// the pages kept for them, as for members notified.
func (tx *Tx) announceMembers(ctx context.Context) error {
	if len(tx.announce) == 0 || tx.store.driver != config.DriverPostgres {
		return nil
	}
	ids := slices.Clone(tx.announce)
	slices.Sort(ids)
	if err := tx.store.notifyMembers(ctx, tx.db, slices.Compact(ids)); err != nil {
		return fmt.Errorf("announce changed members to other nodes: %w", err)
	}
	return nil
}

// AnnounceNotified tells every node that these members got new notifications (the fan-out
// calls it after its commit): this process's listeners at once, and on PostgreSQL the other
// nodes' through a NOTIFY.
func (s *Store) AnnounceNotified(ctx context.Context, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	s.signals.usersNotified(userIDs)
	if s.driver != config.DriverPostgres {
		return nil
	}
	if err := s.notifyMembers(ctx, s.db, userIDs); err != nil {
		return fmt.Errorf("announce notifications to other nodes: %w", err)
	}
	return nil
}

// notifyMembers sends through db the NOTIFYs on forum_notified that name members to the
// other nodes, as many as their ids take (idPayloads).
func (s *Store) notifyMembers(ctx context.Context, db bun.IDB, ids []int64) error {
	var errs []error
	for _, payload := range idPayloads(s.node, ids) {
		if _, err := db.NewRaw("SELECT pg_notify(?, ?)", s.channels.notified, payload).Exec(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// idPayloads splits ids into NOTIFY payloads "node 1,2,3" below maxPayload.
func idPayloads(node string, ids []int64) []string {
	var out []string
	var b strings.Builder
	for _, id := range ids {
		n := strconv.FormatInt(id, 10)
		if b.Len() > 0 && b.Len()+1+len(n) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(node)
			b.WriteByte(' ')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// parseIDs reads "1,2,3"; anything else in the list is left out.
func parseIDs(s string) []int64 {
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}
