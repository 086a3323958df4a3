package live

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/model"
)

// recorder is a Source that sends each stream the ids of the changes it is given.
type recorder struct {
	mu      sync.Mutex
	threads map[int64]int // calls by thread
	counts  map[int64]int // last count by user
}

func newRecorder() *recorder { return &recorder{threads: map[int64]int{}, counts: map[int64]int{}} }

func (r *recorder) Thread(_ context.Context, id int64, changes []model.Change, streams []*Stream) {
	r.mu.Lock()
	r.threads[id]++
	r.mu.Unlock()
	for _, s := range streams {
		for _, c := range changes {
			s.Send(Event{Name: "change", Data: c.Op})
		}
	}
}

func (r *recorder) Count(_ context.Context, userID int64, n int, streams []*Stream) {
	r.mu.Lock()
	r.counts[userID] = n
	r.mu.Unlock()
	for _, s := range streams {
		s.Send(Event{Name: "count", Data: strings.Repeat("x", n)})
	}
}

// serve runs s.Serve into a buffer and returns a function that waits for it to end.
func serve(ctx context.Context, s *Stream) (wait func(d time.Duration) (string, bool)) {
	var mu sync.Mutex
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ctx, lockedWriter{&mu, &out}, func() error { return nil })
	}()
	return func(d time.Duration) (string, bool) {
		select {
		case <-done:
			mu.Lock()
			defer mu.Unlock()
			return out.String(), true
		case <-time.After(d):
			mu.Lock()
			defer mu.Unlock()
			return out.String(), false
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func mustSubscribe(t *testing.T, b *Broker, v Viewer, topics ...string) *Stream {
	t.Helper()
	s, err := b.Subscribe(v, nil, topics...)
	if err != nil {
		t.Fatalf("subscribe %v: %v", v, err)
	}
	return s
}

func ended(s *Stream) bool {
	select {
	case <-s.Ended():
		return true
	default:
		return false
	}
}

func TestStreamsPerMemberAreBounded(t *testing.T) {
	b := NewBroker(newRecorder(), nil, Options{PerMember: 4, Total: 100})
	var streams []*Stream
	for i := range 4 {
		streams = append(streams, mustSubscribe(t, b, Viewer{UserID: 7, SessionID: int64(i + 1)}, ThreadTopic(1), UserTopic(7)))
	}
	other := mustSubscribe(t, b, Viewer{UserID: 8, SessionID: 9}, ThreadTopic(1))
	wait := serve(context.Background(), streams[0])
	fifth := mustSubscribe(t, b, Viewer{UserID: 7, SessionID: 5}, ThreadTopic(2))

	if !ended(streams[0]) {
		t.Fatal("a member's fifth stream left the oldest open")
	}
	for _, s := range append(streams[1:], other, fifth) {
		if ended(s) {
			t.Fatal("a stream other than the member's oldest was ended")
		}
	}
	if n := b.Open(); n != 5 {
		t.Fatalf("%d streams open, want 5 (4 of the member, 1 of another)", n)
	}
	if n := len(b.Streams(UserTopic(7))); n != 3 {
		t.Fatalf("%d streams on the member's topic, want 3", n)
	}
	out, done := wait(2 * time.Second)
	if !done {
		t.Fatal("the replaced stream's Serve did not return")
	}
	// The page of the replaced stream is told to stop: it would otherwise connect again and
	// replace another, for ever.
	if !strings.HasSuffix(out, "event: "+StopEvent+"\ndata: \n\n") {
		t.Fatalf("the replaced stream ended with %q, want the stop event", out)
	}
}

func TestStreamsInTotalAreBounded(t *testing.T) {
	b := NewBroker(newRecorder(), nil, Options{PerMember: 1, Total: 3})
	visitor := mustSubscribe(t, b, Viewer{}, ThreadTopic(1))
	mustSubscribe(t, b, Viewer{}, ThreadTopic(1))
	member := mustSubscribe(t, b, Viewer{UserID: 3, SessionID: 1}, ThreadTopic(1))
	if _, err := b.Subscribe(Viewer{}, nil, ThreadTopic(1)); !errors.Is(err, ErrBusy) {
		t.Fatalf("a fourth stream of three allowed: %v, want ErrBusy", err)
	}
	if b.Refused() != 1 {
		t.Fatalf("refused = %d, want 1", b.Refused())
	}
	// A closed stream makes room.
	visitor.Close()
	mustSubscribe(t, b, Viewer{}, ThreadTopic(1))
	// Another member at the total is refused too, not let in by ending someone's stream.
	if _, err := b.Subscribe(Viewer{UserID: 4, SessionID: 2}, nil, ThreadTopic(1)); !errors.Is(err, ErrBusy) {
		t.Fatalf("another member at the total: %v, want ErrBusy", err)
	}
	// A member's replacement of their own needs no room: theirs is ended for it.
	mustSubscribe(t, b, Viewer{UserID: 3, SessionID: 1}, ThreadTopic(1))
	if !ended(member) || b.Open() != 3 {
		t.Fatalf("member's oldest ended %v, open %d; want true, 3", ended(member), b.Open())
	}
}

func TestVisitorStreamsPerAddressAreBounded(t *testing.T) {
	b := NewBroker(newRecorder(), nil, Options{PerAddress: 2, Total: 100})
	here := Viewer{Address: "192.0.2.1"}
	first := mustSubscribe(t, b, here, ThreadTopic(1))
	mustSubscribe(t, b, here, ThreadTopic(1))
	if _, err := b.Subscribe(here, nil, ThreadTopic(1)); !errors.Is(err, ErrBusy) {
		t.Fatalf("a third visitor stream from one address: %v, want ErrBusy", err)
	}
	if ended(first) {
		t.Fatal("a visitor's stream was ended for another's")
	}
	// Another address, and members at this one, are not held back by it.
	mustSubscribe(t, b, Viewer{Address: "192.0.2.2"}, ThreadTopic(1))
	mustSubscribe(t, b, Viewer{UserID: 5, SessionID: 1, Address: "192.0.2.1"}, ThreadTopic(1))
	first.Close()
	mustSubscribe(t, b, here, ThreadTopic(1))
}

func TestCloseEndsEveryStream(t *testing.T) {
	b := NewBroker(newRecorder(), nil, Options{Heartbeat: time.Hour})
	var waits []func(time.Duration) (string, bool)
	for i := range 5 {
		s := mustSubscribe(t, b, Viewer{UserID: int64(i % 2), SessionID: int64(i)}, ThreadTopic(int64(i)))
		waits = append(waits, serve(context.Background(), s))
	}
	start := time.Now()
	b.Close()
	for i, wait := range waits {
		out, done := wait(2 * time.Second)
		if !done {
			t.Fatalf("stream %d still open after Close", i)
		}
		// Browsers connect again, after a spread-out pause, to a node that serves them.
		if !strings.Contains(out, "\nretry: ") && !strings.HasPrefix(out, "retry: ") || strings.Contains(out, StopEvent) {
			t.Fatalf("stream %d ended with %q, want a retry hint and no stop event", i, out)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("closing took %v", d)
	}
	if b.Open() != 0 {
		t.Fatalf("%d streams open after Close", b.Open())
	}
	if _, err := b.Subscribe(Viewer{}, nil, ThreadTopic(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after Close: %v, want ErrClosed", err)
	}
}

func TestChangesReachTheStreamsOfTheirThread(t *testing.T) {
	src := newRecorder()
	b := NewBroker(src, CounterFunc(func(_ context.Context, id int64) (int, error) { return int(id), nil }), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx)

	onOne := mustSubscribe(t, b, Viewer{UserID: 3, SessionID: 1}, ThreadTopic(1), UserTopic(3))
	onTwo := mustSubscribe(t, b, Viewer{}, ThreadTopic(2))
	waitOne, waitTwo := serve(ctx, onOne), serve(ctx, onTwo)

	b.Changed([]model.Change{{ID: 10, ThreadID: 1, Op: "create"}, {ID: 11, ThreadID: 3, Op: "create"}, {ID: 12, ThreadID: 1, Op: "update"}})
	b.UsersNotified([]int64{3, 4})
	deadline := time.Now().Add(2 * time.Second)
	for {
		out, _ := waitOne(10 * time.Millisecond)
		if strings.Contains(out, "event: change\ndata: create\n\nevent: change\ndata: update\n\n") && strings.Contains(out, "event: count\ndata: xxx\n\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread 1's stream got %q", out)
		}
	}
	if out, _ := waitTwo(50 * time.Millisecond); strings.Contains(out, "event:") {
		t.Fatalf("thread 2's stream got another thread's events: %q", out)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.threads[3] != 0 || src.counts[4] != 0 {
		t.Fatal("a thread or a member with no stream open was rendered for")
	}
}

func TestSlowClientIsEndedToCatchUp(t *testing.T) {
	b := NewBroker(newRecorder(), nil, Options{Buffer: 2})
	s := mustSubscribe(t, b, Viewer{}, ThreadTopic(1))
	if !s.Send(Event{Data: "1"}) || !s.Send(Event{Data: "2"}) {
		t.Fatal("events within the buffer were refused")
	}
	if s.Send(Event{Data: "3"}) || !ended(s) {
		t.Fatal("a client that fell behind the buffer is still served")
	}
	if b.Open() != 0 {
		t.Fatal("an ended stream is still counted")
	}
	out, done := serve(context.Background(), s)(time.Second)
	// What was queued goes out; the browser connects again on its own (no stop event).
	if !done || !strings.Contains(out, "data: 1\n\ndata: 2\n\n") || strings.Contains(out, StopEvent) {
		t.Fatalf("ended stream wrote %q", out)
	}
}

func TestServeWritesEventsAndHeartbeats(t *testing.T) {
	b := NewBroker(newRecorder(), nil, Options{Heartbeat: 20 * time.Millisecond})
	s := mustSubscribe(t, b, Viewer{}, ThreadTopic(1))
	ctx, cancel := context.WithCancel(context.Background())
	wait := serve(ctx, s)
	s.Send(Event{Name: "post\nevil", ID: "41", Data: "<p>one</p>\r\n<p>two</p>"})
	time.Sleep(80 * time.Millisecond)
	cancel()
	out, done := wait(time.Second)
	if !done {
		t.Fatal("Serve did not return when its client went")
	}
	if !strings.HasPrefix(out, "retry: 3000\n\n") {
		t.Errorf("stream starts with %q", out)
	}
	if !strings.Contains(out, "event: postevil\nid: 41\ndata: <p>one</p>\ndata: <p>two</p>\n\n") {
		t.Errorf("event written as %q", out)
	}
	if !strings.Contains(out, ": keep-alive\n\n") {
		t.Errorf("no heartbeat in %q", out)
	}
}

// A post held for review shows to its author alone: no stream hears of its change-log
// row, not even that something changed in the thread.
func TestHeldPostsReachNoStream(t *testing.T) {
	src := newRecorder()
	b := NewBroker(src, nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := mustSubscribe(t, b, Viewer{UserID: 3, SessionID: 1}, ThreadTopic(1))
	b.Changed([]model.Change{{ID: 10, Entity: model.ChangeHeldPost, EntityID: 4, ThreadID: 1, Op: "hold"}})
	b.pmu.Lock()
	queued := len(b.threads)
	b.pmu.Unlock()
	if queued != 0 {
		t.Fatalf("a held post's row was queued for %d threads' streams", queued)
	}
	go b.Run(ctx)
	wait := serve(ctx, open)
	b.Changed([]model.Change{{ID: 11, Entity: model.ChangeHeldPost, EntityID: 5, ThreadID: 1, Op: "hold"}, {ID: 12, Entity: "post", EntityID: 6, ThreadID: 1, Op: "create"}})
	for deadline := time.Now().Add(2 * time.Second); ; {
		out, _ := wait(10 * time.Millisecond)
		if strings.Contains(out, "data: create\n") {
			if strings.Contains(out, "data: hold\n") {
				t.Fatalf("the thread's stream heard of a held post: %q", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the thread's stream got %q", out)
		}
	}
}
