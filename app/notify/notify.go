// Package notify tells members what happened that concerns them (DESIGN section 12):
// following threads and topics, the fan-out of the events operations write into
// notifications, the notifications a member reads, and their e-mail preferences.
//
// An operation of app/forum writes one notify_events row in its own transaction, and no
// more: a reply in a thread with a thousand watchers costs what any reply costs. After the
// commit the operation wakes the fan-out (Service.Poke), which runs in the server's
// background group: it claims each pending event, finds its recipients, keeps only those
// who may read what it tells of (app/policy), writes their notifications, hands those to
// be e-mailed at once to the Mailer, and marks the event fanned out, all in one
// transaction. A slow poll finds events written through other nodes.
package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"forum/app/model"
	"forum/app/store"
)

// Mailer queues e-mail of notifications in the fan-out's transaction.
type Mailer interface {
	Enqueue(ctx context.Context, tx *store.Tx, n *model.Notification) error
}

// NoMail is the Mailer of a forum that sends no e-mail: it queues nothing.
type NoMail struct{}

// Enqueue does nothing.
func (NoMail) Enqueue(context.Context, *store.Tx, *model.Notification) error { return nil }

// Options configure a Service.
type Options struct {
	// Mailer queues the e-mail of notifications; nil: NoMail.
	Mailer Mailer
	Logger *slog.Logger
	// PollInterval is how often the fan-out looks for events written elsewhere (another
	// node, a command-line tool); 0: DefaultPollInterval.
	PollInterval time.Duration
}

// DefaultPollInterval is how often the fan-out looks for events it was not woken for.
const DefaultPollInterval = 3 * time.Second

// Service follows, fans out and reads notifications.
type Service struct {
	store  *store.Store
	mailer Mailer
	log    *slog.Logger
	poll   time.Duration
	poke   chan struct{}
	// Now is the clock.
	Now func() time.Time

	mu       sync.Mutex
	notified []func(userIDs []int64)
}

// New returns a Service.
func New(st *store.Store, o Options) *Service {
	s := &Service{store: st, mailer: o.Mailer, log: o.Logger, poll: o.PollInterval, poke: make(chan struct{}, 1),
		Now: func() time.Time { return time.Now().UTC() }}
	if s.mailer == nil {
		s.mailer = NoMail{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.poll <= 0 {
		s.poll = DefaultPollInterval
	}
	return s
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Poke wakes the fan-out: an operation committed an event. It never blocks.
func (s *Service) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// OnNotified calls fn, after each fan-out transaction commits, with the members who
// received a notification in it (to update their header count where they are looking).
// fn must return quickly.
func (s *Service) OnNotified(fn func(userIDs []int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notified = append(s.notified, fn)
}

func (s *Service) tellNotified(users []int64) {
	if len(users) == 0 {
		return
	}
	s.mu.Lock()
	subs := append([]func([]int64){}, s.notified...)
	s.mu.Unlock()
	for _, fn := range subs {
		fn(users)
	}
}

// pruneEvery is how often Run removes the events that notify nobody any more
// (store.PruneNotifyEvents); the first time as it starts.
const pruneEvery = 6 * time.Hour

// Run fans out events as they are written until ctx ends: when poked, and every poll
// interval. Run it in the server's background group.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	var pruned time.Time
	for {
		if _, err := s.FanOut(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("notification fan-out: an event failed; it is tried again", "err", err)
		}
		if now := s.Now(); now.Sub(pruned) >= pruneEvery {
			pruned = now
			if n, err := s.store.PruneNotifyEvents(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("notification events that notify nobody were not removed; tried again later", "err", err)
			} else if n > 0 {
				s.log.Info("notification events that notify nobody removed", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-tick.C:
		}
	}
}
