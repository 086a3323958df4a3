package background_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"forum/app/background"
)

// TestStopWaitsForEveryGoroutine: Stop cancels the goroutines' context and returns only
// once each has returned, however long it takes to finish what it was doing.
func TestStopWaitsForEveryGoroutine(t *testing.T) {
	g := background.New(context.Background(), nil)
	var finished atomic.Int32
	for _, d := range []time.Duration{0, 150 * time.Millisecond, 300 * time.Millisecond} {
		g.Go("worker", func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(d) // the end of a batch
			finished.Add(1)
		})
	}
	start := time.Now()
	g.Stop()
	if n := finished.Load(); n != 3 {
		t.Fatalf("Stop returned with %d of 3 goroutines finished", n)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Fatal("Stop returned before the slowest goroutine finished")
	}
	ran := false
	g.Go("late", func(context.Context) { ran = true })
	g.Stop()
	if ran {
		t.Fatal("a goroutine started after Stop ran")
	}
}

// TestParentEndStopsTheGroup: the goroutines stop when the server's context ends (a
// signal); Stop then only waits.
func TestParentEndStopsTheGroup(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	g := background.New(parent, nil)
	stopped := make(chan struct{})
	g.Go("watcher", func(ctx context.Context) { <-ctx.Done(); close(stopped) })
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the end of the parent context did not reach the goroutine")
	}
	g.Stop()
}
