// Package live pushes what changes on the forum to the pages people have open, as
// Server-Sent Events: new replies and a thread's state on the thread page, the count of
// unread notifications in the header.
//
// Each node runs one Broker. Streams subscribe to topics (a thread, a member); the node
// hears of changes through the change log (app/changelog; on PostgreSQL other nodes' writes
// wake it through LISTEN/NOTIFY) and of new notifications through the fan-out, and hands
// them to the Broker, which asks its Source (app/web: the thread page's templates and
// app/policy) what each stream's viewer may see. Streams are bounded per member and in
// total, and all end when the server shuts down.
package live

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"forum/app/model"
)

// Errors of Subscribe.
var (
	// ErrBusy: the node has as many streams open as it allows; ask again later.
	ErrBusy = errors.New("too many live streams open on this server")
	// ErrClosed: the server is shutting down.
	ErrClosed = errors.New("live updates are shutting down")
)

// Defaults of Options.
const (
	DefaultPerMember  = 4
	DefaultPerAddress = 32
	DefaultTotal      = 1000
	DefaultHeartbeat  = 25 * time.Second
	defaultBuffer     = 64
	// maxPendingChanges bounds what waits for one thread between two rounds of pushing.
	maxPendingChanges = 200
)

// Options bound a Broker.
type Options struct {
	// PerMember is how many streams one member may have open (tabs, devices); opening one
	// more ends the oldest.
	PerMember int
	// PerAddress is how many streams of visitors one network address may have open (a
	// household or an office behind one address shares it); beyond it Subscribe says
	// ErrBusy, so that one client cannot take every stream of the node.
	PerAddress int
	// Total is how many streams the node serves at once; beyond it Subscribe says ErrBusy.
	Total int
	// Heartbeat is how often an idle stream sends a comment, so that proxies and browsers
	// keep it open and a gone client is found.
	Heartbeat time.Duration
	// Buffer is how many events may wait for a slow client; a stream that falls further
	// behind is ended, and its browser connects again and catches up.
	Buffer int
	Log    *slog.Logger
}

// Source renders what streams are sent: app/web implements it with the templates of the
// pages and app/policy, so that a stream carries only what its viewer may read.
type Source interface {
	// Thread sends the streams of thread threadID what their viewers may see of changes
	// (new or changed posts, the thread's state), and ends the streams of viewers who may
	// no longer read the thread.
	Thread(ctx context.Context, threadID int64, changes []model.Change, streams []*Stream)
	// Count sends member userID's streams their count of unread notifications.
	Count(ctx context.Context, userID int64, unread int, streams []*Stream)
}

// Counter counts a member's unread notifications (the notifications service).
type Counter interface {
	UnreadCount(ctx context.Context, userID int64) (int, error)
}

// CounterFunc is a function that counts a member's unread notifications.
type CounterFunc func(ctx context.Context, userID int64) (int, error)

// UnreadCount calls f.
func (f CounterFunc) UnreadCount(ctx context.Context, userID int64) (int, error) {
	return f(ctx, userID)
}

// ThreadTopic is the topic of a thread's page; UserTopic a member's own (the header count).
func ThreadTopic(id int64) string { return "thread:" + strconv.FormatInt(id, 10) }

// UserTopic is the topic of what a member alone is sent: the header count.
func UserTopic(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// Viewer is who reads a stream: a member (their user and session) or a visitor (no user,
// no session), from a network address.
type Viewer struct {
	UserID, SessionID int64
	Address           string
}

// Broker holds a node's open streams by topic and pushes to them.
type Broker struct {
	opts    Options
	log     *slog.Logger
	src     Source
	counter Counter

	mu       sync.Mutex
	closed   bool
	total    int
	topics   map[string]map[*Stream]struct{}
	members  map[int64][]*Stream // oldest first
	visitors map[string]int      // visitors' streams by address

	refused atomic.Int64

	pmu     sync.Mutex
	threads map[int64][]model.Change // waiting to be pushed
	users   map[int64]bool
	wake    chan struct{}
}

// NewBroker returns a broker pushing what src renders; counter, when not nil, counts the
// header's unread notifications.
func NewBroker(src Source, counter Counter, o Options) *Broker {
	if o.PerMember <= 0 {
		o.PerMember = DefaultPerMember
	}
	if o.PerAddress <= 0 {
		o.PerAddress = DefaultPerAddress
	}
	if o.Total <= 0 {
		o.Total = DefaultTotal
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.Buffer <= 0 {
		o.Buffer = defaultBuffer
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Broker{opts: o, log: log, src: src, counter: counter,
		topics: map[string]map[*Stream]struct{}{}, members: map[int64][]*Stream{}, visitors: map[string]int{},
		threads: map[int64][]model.Change{}, users: map[int64]bool{}, wake: make(chan struct{}, 1)}
}

// SetCounter sets what counts the header's unread notifications, when it is known only
// after the broker was made. Call it before Run.
func (b *Broker) SetCounter(c Counter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counter = c
}

// Heartbeat is how often an idle stream sends a comment.
func (b *Broker) Heartbeat() time.Duration { return b.opts.Heartbeat }

// Subscribe opens a stream of topics for viewer v; owner is the caller's, for its Source
// (who the viewer is, their CSRF token). A member with PerMember streams open loses the
// oldest. With Total streams open, or PerAddress of visitors from v's address, it returns
// ErrBusy; once Close was called, ErrClosed.
// The caller must Close the stream when its client goes.
func (b *Broker) Subscribe(v Viewer, owner any, topics ...string) (*Stream, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if v.UserID != 0 {
		for len(b.members[v.UserID]) >= b.opts.PerMember {
			oldest := b.members[v.UserID][0]
			b.removeLocked(oldest)
			oldest.finish(endStop)
		}
	}
	if b.total >= b.opts.Total || v.UserID == 0 && b.visitors[v.Address] >= b.opts.PerAddress {
		b.refused.Add(1)
		return nil, ErrBusy
	}
	s := &Stream{b: b, viewer: v, topics: topics, owner: owner, events: make(chan Event, b.opts.Buffer), ended: make(chan struct{})}
	for _, t := range topics {
		set := b.topics[t]
		if set == nil {
			set = map[*Stream]struct{}{}
			b.topics[t] = set
		}
		set[s] = struct{}{}
	}
	if v.UserID != 0 {
		b.members[v.UserID] = append(b.members[v.UserID], s)
	} else {
		b.visitors[v.Address]++
	}
	b.total++
	s.registered = true
	return s, nil
}

// removeLocked takes s out of the broker's tables; b.mu is held.
func (b *Broker) removeLocked(s *Stream) {
	if !s.registered {
		return
	}
	s.registered = false
	for _, t := range s.topics {
		if set := b.topics[t]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(b.topics, t)
			}
		}
	}
	if s.viewer.UserID != 0 {
		list := b.members[s.viewer.UserID]
		for i, x := range list {
			if x == s {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(b.members, s.viewer.UserID)
		} else {
			b.members[s.viewer.UserID] = list
		}
	} else if b.visitors[s.viewer.Address]--; b.visitors[s.viewer.Address] <= 0 {
		delete(b.visitors, s.viewer.Address)
	}
	b.total--
}

// Streams returns the open streams of a topic.
func (b *Broker) Streams(topic string) []*Stream {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*Stream, 0, len(b.topics[topic]))
	for s := range b.topics[topic] {
		out = append(out, s)
	}
	return out
}

// Open returns how many streams are open; Refused how many were refused for the bound.
func (b *Broker) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// Refused returns how many streams were refused because the node had Total open.
func (b *Broker) Refused() int64 { return b.refused.Load() }

// Close ends every stream, telling browsers to connect again in a few seconds (to another
// node, or to this one restarted), and refuses new ones. The server calls it as its
// shutdown begins, so that shutdown does not wait for streams that never finish.
func (b *Broker) Close() {
	b.mu.Lock()
	b.closed = true
	var all []*Stream
	for _, set := range b.topics {
		for s := range set {
			all = append(all, s)
		}
	}
	for _, s := range all {
		b.removeLocked(s)
	}
	b.mu.Unlock()
	for _, s := range all {
		s.finish(endShutdown)
	}
}

// Changed queues changes of the change log to be pushed to the streams of their threads.
// It never waits for the pushing.
func (b *Broker) Changed(changes []model.Change) {
	queued := false
	b.pmu.Lock()
	for _, c := range changes {
		if c.ThreadID == 0 || !b.hasTopic(ThreadTopic(c.ThreadID)) {
			continue // nobody has the thread open
		}
		if c.Entity == model.ChangeHeldPost {
			// A post held for review shows to its author alone, and not as a live update:
			// no stream is told even that something changed.
			continue
		}
		// Beyond the bound (a bulk change), the thread's state is still pushed with the rest.
		if pending := b.threads[c.ThreadID]; len(pending) < maxPendingChanges {
			b.threads[c.ThreadID] = append(pending, c)
		}
		queued = true
	}
	b.pmu.Unlock()
	if queued {
		b.poke()
	}
}

// UsersNotified queues the header counts of members who got new notifications (the
// fan-out calls it after its commit, through the store's announcement to every node).
func (b *Broker) UsersNotified(userIDs []int64) {
	queued := false
	b.pmu.Lock()
	for _, id := range userIDs {
		if b.hasTopic(UserTopic(id)) {
			b.users[id] = true
			queued = true
		}
	}
	b.pmu.Unlock()
	if queued {
		b.poke()
	}
}

func (b *Broker) hasTopic(t string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.topics[t]) > 0
}

func (b *Broker) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run pushes what Changed and UsersNotified queued until ctx ends. One goroutine runs it.
func (b *Broker) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		b.pushPending(ctx)
	}
}

// pushPending pushes what is queued.
func (b *Broker) pushPending(ctx context.Context) {
	b.pmu.Lock()
	threads, users := b.threads, b.users
	b.threads, b.users = map[int64][]model.Change{}, map[int64]bool{}
	b.pmu.Unlock()
	for id, changes := range threads {
		if streams := b.Streams(ThreadTopic(id)); len(streams) > 0 {
			b.src.Thread(ctx, id, changes, streams)
		}
	}
	b.mu.Lock()
	counter := b.counter
	b.mu.Unlock()
	if counter == nil {
		return
	}
	for id := range users {
		streams := b.Streams(UserTopic(id))
		if len(streams) == 0 {
			continue
		}
		n, err := counter.UnreadCount(ctx, id)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("live: count unread notifications", "user", id, "err", err)
			}
			continue
		}
		b.src.Count(ctx, id, n, streams)
	}
}

// CountFor returns member userID's count of unread notifications, when a counter is set:
// a new stream starts with it.
func (b *Broker) CountFor(ctx context.Context, userID int64) (int, bool, error) {
	b.mu.Lock()
	counter := b.counter
	b.mu.Unlock()
	if counter == nil || userID == 0 {
		return 0, false, nil
	}
	n, err := counter.UnreadCount(ctx, userID)
	return n, err == nil, err
}

// Event is one Server-Sent Event.
type Event struct {
	// Name is the event's type, which the page listens for (sse-swap).
	Name string
	// Data is what the page swaps in: HTML.
	Data string
	// ID, when set, is what the browser sends back as Last-Event-ID when it reconnects.
	ID string
}

// How a stream ends.
type ending int

const (
	endReconnect ending = iota // the client fell behind: it connects again and catches up
	endStop                    // the page should stop: it was replaced or lost access
	endShutdown                // the node is stopping: connect again in a few seconds
)

// StopEvent is the event a page's stream ends with when the page should not connect
// again (sse-close): a newer page of the member took its place, or the viewer lost access.
const StopEvent = "live-end"

// Stream is one open stream of events to one browser tab.
type Stream struct {
	b          *Broker
	viewer     Viewer
	topics     []string
	owner      any
	events     chan Event
	registered bool // in the broker's tables; guarded by b.mu

	once   sync.Once
	ended  chan struct{}
	ending ending
}

// Viewer returns who reads the stream.
func (s *Stream) Viewer() Viewer { return s.viewer }

// Owner returns what the caller of Subscribe attached to the stream.
func (s *Stream) Owner() any { return s.owner }

// Ended is closed when the broker ended the stream.
func (s *Stream) Ended() <-chan struct{} { return s.ended }

// Send queues an event without waiting. A stream whose client has fallen Buffer events
// behind is ended (its browser connects again and catches up); Send then reports false.
func (s *Stream) Send(ev Event) bool {
	select {
	case <-s.ended:
		return false
	default:
	}
	select {
	case s.events <- ev:
		return true
	default:
		s.end(endReconnect)
		return false
	}
}

// Stop ends the stream and tells its page not to connect again: its viewer may no longer
// read what it follows.
func (s *Stream) Stop() { s.end(endStop) }

// Close takes the stream out of the broker; the handler calls it when its client goes.
func (s *Stream) Close() { s.end(endReconnect) }

func (s *Stream) end(how ending) {
	s.b.mu.Lock()
	s.b.removeLocked(s)
	s.b.mu.Unlock()
	s.finish(how)
}

// finish closes the stream once, remembering how.
func (s *Stream) finish(how ending) {
	s.once.Do(func() {
		s.ending = how
		close(s.ended)
	})
}

// retryAfterShutdown is how long, at most, browsers wait before connecting again after a
// node stopped: spread, so that they do not all come back in the same instant.
const retryAfterShutdown = 10 * time.Second

// finalWords returns what the stream writes after its last events, once it ended.
func (s *Stream) finalWords() string {
	switch s.ending {
	case endStop:
		return "event: " + StopEvent + "\ndata: \n\n"
	case endShutdown:
		wait := time.Second + rand.N(retryAfterShutdown-time.Second)
		return "retry: " + strconv.FormatInt(wait.Milliseconds(), 10) + "\n\n"
	}
	return ""
}
