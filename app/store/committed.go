package store

import (
	"context"
	"sync"

	"forum/app/model"
)

// Committed is what one committed transaction changed that pages show: its change-log
// rows (a post waiting for review among them: model.ChangeHeldPost), and the members whose
// follows or notifications it changed. It is told to this
// process's OnCommit functions right after the commit, so that caches drop exactly what
// the write changed before the writer's next page is served.
type Committed struct {
	Changes []model.Change
	Members []int64
}

// commitHooks are the functions told of each commit.
type commitHooks struct {
	mu    sync.Mutex
	next  int
	hooks map[int]func(context.Context, Committed)
}

// OnCommit calls fn after every transaction committed through this Store that wrote a
// change-log row or changed a member's follows or notifications. It returns a function
// that stops the calls.
func (s *Store) OnCommit(fn func(context.Context, Committed)) (stop func()) {
	h := &s.commits
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hooks == nil {
		h.hooks = map[int]func(context.Context, Committed){}
	}
	id := h.next
	h.next++
	h.hooks[id] = fn
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.hooks, id)
	}
}

func (h *commitHooks) tell(ctx context.Context, c Committed) {
	h.mu.Lock()
	fns := make([]func(context.Context, Committed), 0, len(h.hooks))
	for _, fn := range h.hooks {
		fns = append(fns, fn)
	}
	h.mu.Unlock()
	for _, fn := range fns {
		fn(ctx, c)
	}
}
