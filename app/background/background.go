// Package background owns the goroutines that live as long as the server: the search
// syncer, the change watcher, and the senders to come. serve starts them in one Group and,
// when it stops, cancels them and waits until every one has returned, before it closes
// the search index and the database they use.
package background

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// stillWaitingEvery is how often Stop names the goroutines it is still waiting for.
const stillWaitingEvery = 10 * time.Second

// Group runs goroutines until it is stopped, and waits for them.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger
	wg     sync.WaitGroup

	mu      sync.Mutex
	stopped bool
	running map[string]int // by name
}

// New returns a group whose goroutines stop when parent ends or Stop is called.
func New(parent context.Context, log *slog.Logger) *Group {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(parent)
	return &Group{ctx: ctx, cancel: cancel, log: log, running: map[string]int{}}
}

// Go runs fn in a goroutine of its own, named in the logs. fn must return soon after its
// context ends. Once the group is stopped, Go runs nothing.
func (g *Group) Go(name string, fn func(ctx context.Context)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		g.log.Warn("background work not started: the server is stopping", "work", name)
		return
	}
	g.running[name]++
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer g.done(name)
		fn(g.ctx)
	}()
}

func (g *Group) done(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[name]--; g.running[name] == 0 {
		delete(g.running, name)
	}
}

// Stop cancels the context of every goroutine and returns once all have returned. While
// it waits, it names those still running every few seconds: nothing is closed under one.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.cancel()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	tick := time.NewTicker(stillWaitingEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			g.log.Warn("stopping: still waiting for background work", "work", g.names())
		}
	}
}

// names lists the goroutines still running.
func (g *Group) names() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for name := range g.running {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
