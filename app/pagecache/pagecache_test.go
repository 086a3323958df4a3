package pagecache_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"forum/app/pagecache"
)

// get loads key with value v of size n depending on keys, counting loads.
func get(t *testing.T, c *pagecache.Cache, key string, keys []string, loads *int, v string, n int) string {
	t.Helper()
	e, err := c.Get(context.Background(), key, keys, time.Minute, func(context.Context) (pagecache.Loaded, error) {
		*loads++
		return pagecache.Loaded{Value: v, Size: n}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e.Value.(string)
}

func TestInvalidateDropsOnlyDependents(t *testing.T) {
	c := pagecache.New(1<<20, nil)
	var a, b int
	get(t, c, "page-a", []string{"thread:1", "latest"}, &a, "a", 10)
	get(t, c, "page-b", []string{"thread:2"}, &b, "b", 10)
	c.Invalidate("thread:1")
	get(t, c, "page-a", []string{"thread:1", "latest"}, &a, "a2", 10)
	get(t, c, "page-b", []string{"thread:2"}, &b, "b2", 10)
	if a != 2 || b != 1 {
		t.Fatalf("loads: a %d (want 2, it depends on the key), b %d (want 1)", a, b)
	}
}

func TestGenerationDropsEverything(t *testing.T) {
	var gen atomic.Uint64
	c := pagecache.New(1<<20, gen.Load)
	var n int
	get(t, c, "k", nil, &n, "v", 1)
	gen.Add(1)
	get(t, c, "k", nil, &n, "v", 1)
	if n != 2 {
		t.Fatalf("%d loads; a new generation must drop the entry", n)
	}
}

// A key invalidated while the load runs leaves the loaded entry stale: what the load read
// may predate the write.
func TestWriteDuringLoadLeavesEntryStale(t *testing.T) {
	c := pagecache.New(1<<20, nil)
	loads := 0
	_, err := c.Get(context.Background(), "k", []string{"thread:7"}, time.Minute, func(context.Context) (pagecache.Loaded, error) {
		loads++
		c.Invalidate("thread:7") // committed while the queries ran
		return pagecache.Loaded{Value: "old", Size: 1}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Peek("k") != nil {
		t.Fatal("an entry loaded across a write is served as fresh")
	}
}

func TestBoundedInBytes(t *testing.T) {
	c := pagecache.New(64<<10, nil)
	var n int
	for i := range 1000 {
		get(t, c, "page-"+strconv.Itoa(i), nil, &n, "v", 1000)
	}
	st := c.Stats()
	if st.Bytes > 64<<10 || st.Evictions == 0 {
		t.Fatalf("holds %d bytes of at most %d, %d evictions", st.Bytes, 64<<10, st.Evictions)
	}
	// The most recently used stay; the oldest went.
	if c.Peek("page-999") == nil || c.Peek("page-0") != nil {
		t.Fatal("eviction did not drop the least recently used")
	}
	// Variants count too.
	e := c.Peek("page-999")
	for i := range 30 {
		if _, err := e.Variant(i, func() (any, int, error) { return "r", 4000, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if b := c.Stats().Bytes; b > 64<<10 {
		t.Fatalf("holds %d bytes with variants", b)
	}
	// A value larger than the whole cache is served, never kept.
	get(t, c, "huge", nil, &n, "v", 1<<20)
	if c.Peek("huge") != nil {
		t.Fatal("a value larger than the cache was kept")
	}
}

func TestTTL(t *testing.T) {
	c := pagecache.New(1<<20, nil)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.SetClock(func() time.Time { return now })
	if _, err := c.Get(context.Background(), "k", nil, 5*time.Second, func(context.Context) (pagecache.Loaded, error) {
		return pagecache.Loaded{Value: 1}, nil
	}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(4 * time.Second)
	if c.Peek("k") == nil {
		t.Fatal("dropped before its time")
	}
	now = now.Add(2 * time.Second)
	if c.Peek("k") != nil {
		t.Fatal("kept past its time")
	}
}

// TestAgedEntryServedWhileLoadedAgain: past its time to live, and with nothing it depends
// on changed, an entry is loaded again by the first request that finds it while the
// others are served it; past twice its time to live, or once a key of it is invalidated or
// the generation moves, nobody is served it.
func TestAgedEntryServedWhileLoadedAgain(t *testing.T) {
	var gen atomic.Uint64
	c := pagecache.New(1<<20, gen.Load)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	const ttl = 5 * time.Second
	var loads atomic.Int32
	load := func(v int, wait <-chan struct{}) func(context.Context) (pagecache.Loaded, error) {
		return func(context.Context) (pagecache.Loaded, error) {
			loads.Add(1)
			if wait != nil {
				<-wait
			}
			return pagecache.Loaded{Value: v}, nil
		}
	}
	get := func(v int, wait <-chan struct{}) int {
		e, err := c.Get(context.Background(), "k", []string{"thread:1"}, ttl, load(v, wait))
		if err != nil {
			t.Error(err)
			return 0
		}
		return e.Value.(int)
	}
	get(1, nil)

	advance(ttl + time.Second) // aged
	if c.Peek("k") != nil {
		t.Fatal("Peek gave an entry past its time to live")
	}
	release := make(chan struct{})
	first := make(chan int)
	go func() { first <- get(2, release) }()
	for loads.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	for range 5 {
		got := make(chan int, 1)
		go func() { got <- get(99, nil) }()
		select {
		case v := <-got:
			if v != 1 {
				t.Fatalf("while the first request loaded the aged entry again, another got %d, want the aged 1", v)
			}
		case <-time.After(5 * time.Second):
			close(release)
			t.Fatal("a request that found the entry aged waited for another's load")
		}
	}
	if n := loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2: requests that found the entry being loaded again loaded it too", n)
	}
	close(release)
	if v := <-first; v != 2 {
		t.Fatalf("the request that loaded the aged entry again got %d, want 2", v)
	}
	if v := get(99, nil); v != 2 {
		t.Fatalf("after the load, %d, want the new 2", v)
	}

	for _, tc := range []struct {
		name   string
		change func()
	}{
		{"past twice its time to live", func() { advance(2 * ttl) }},
		{"a key of it invalidated", func() { advance(ttl + time.Second); c.Invalidate("thread:1") }},
		{"the generation moved", func() { advance(ttl + time.Second); gen.Add(1) }},
	} {
		before := get(99, nil) // fresh
		tc.change()
		if v := get(before+1, nil); v != before+1 {
			t.Fatalf("%s: served %d, want %d loaded again", tc.name, v, before+1)
		}
	}
}

// Many requests for a page nobody holds load it once; a failed load is not kept.
func TestLoadsOnceAndKeepsNoError(t *testing.T) {
	c := pagecache.New(1<<20, nil)
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Get(context.Background(), "k", nil, time.Minute, func(context.Context) (pagecache.Loaded, error) {
				loads.Add(1)
				<-release
				return pagecache.Loaded{Value: 1}, nil
			})
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all ask
	close(release)
	wg.Wait()
	if n := loads.Load(); n > 2 {
		t.Fatalf("%d loads for 20 requests at once", n)
	}
	boom := errors.New("database down")
	if _, err := c.Get(context.Background(), "e", nil, time.Minute, func(context.Context) (pagecache.Loaded, error) {
		return pagecache.Loaded{}, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if c.Peek("e") != nil {
		t.Fatal("a failed load was kept")
	}
}
