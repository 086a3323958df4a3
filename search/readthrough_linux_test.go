package search

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"golang.org/x/sys/unix"

	"forum/app/model"
)

// A merge reads its segments through the searches' mappings; what it brought in is let go
// of, and what was resident before it began is kept.
func TestTrimKeepsTheWorkingSetAndLetsGoOfTheRest(t *testing.T) {
	ix := compactedIndex(t)
	r, err := scorchOf(ix.shards[0]).Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap := r.(*scorch.IndexSnapshot)
	var data []byte
	for _, ss := range snap.Segments() {
		if seg, ok := ss.Segment().(interface{ Data() []byte }); ok {
			data = seg.Data()
		}
	}
	pages := len(data) / pageSize
	if pages < 64 {
		t.Fatalf("the shard's segment is %d pages; the test needs a larger one", pages)
	}
	touch := func(b []byte) (sum byte) {
		for i := 0; i < len(b); i += pageSize {
			sum += b[i]
		}
		return sum
	}
	sink += touch(data[:len(data)/4]) // what searches used (a read the compiler keeps)

	ws := newWorkingSet(snap)
	if ws == nil {
		t.Skip("/proc/self/pagemap cannot be read here")
	}
	defer ws.close()
	kept := 0
	for _, k := range ws.segs[len(ws.segs)-1].kept {
		if k {
			kept++
		}
	}
	if kept == 0 || kept >= pages {
		t.Fatalf("%d of %d pages resident before the merge's read; want some, not all", kept, pages)
	}

	sum := crc32.ChecksumIEEE(data) // the merge's read
	before, err := ws.resident(data)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(before); n < pages {
		t.Fatalf("%d of %d pages resident after reading every page", n, pages)
	}
	dropped := ws.trim()
	if want := int64(pages-kept) * int64(pageSize); dropped < want-int64(pageSize) {
		t.Errorf("trim let go of %d bytes, want about %d (%d pages not kept)", dropped, want, pages-kept)
	}
	after, err := ws.resident(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range ws.segs[len(ws.segs)-1].kept {
		if after[i] != k {
			t.Fatalf("page %d resident %v after the trim, was %v before the merge's read", i, after[i], k)
		}
	}
	// The pages let go of read as they did: the data is the file's.
	if crc32.ChecksumIEEE(data) != sum {
		t.Fatal("the segment reads differently after the trim")
	}
	// Once the merge is in place, what was kept goes too.
	ws.forgetKept()
	if ws.trim() == 0 {
		t.Error("a trim after forgetKept let go of nothing")
	}
	if left, err := ws.resident(data); err != nil || count(left) != 0 {
		t.Errorf("%d pages resident after forgetKept and a trim (%v); want none", count(left), err)
	}
}

// sink keeps the reads of a test that only wants the pages read.
var sink byte

func count(b []bool) (n int) {
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// The merges that reclaim replaced versions let go of the pages they read.
func TestReclaimLetsGoOfWhatItRead(t *testing.T) {
	ix := compactedIndex(t)
	if _, err := os.Stat("/proc/self/pagemap"); err != nil {
		t.Skip("/proc/self/pagemap cannot be read here")
	}
	before := ix.readThrough.Load()
	// Replies to 300 threads, one batch each: each shard's replaced versions pass the share
	// that reclaims them.
	for i := 0; i < 300; i++ {
		if err := ix.Apply([]Document{threadDoc(int64(1+i*2), 1, 200, 200)}, nil, model.ChangePosition{ID: int64(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	for try := 0; try < 400; try++ { // until the merges end: 20 s at most
		if !ix.reclaiming[0].Load() && !ix.reclaiming[1].Load() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, gone := Replaced(ix); gone[0] >= reclaimMinimum || gone[1] >= reclaimMinimum {
		t.Fatalf("replaced versions %v: the shards were not reclaimed", gone)
	}
	if got := ix.readThrough.Load() - before; got < 256<<10 {
		t.Errorf("the merges that reclaimed let go of %d bytes of what they read; want at least 256 KB", got)
	} else {
		t.Logf("let go of %d KB", got>>10)
	}
}

// Every page of the index's files that searches brought into the process is let go of,
// and searches read the same after.
func TestSearchedPagesAreLetGoOf(t *testing.T) {
	ix := compactedIndex(t)
	ix.stopReleaseLoop() // the test lets go of the pages itself
	if _, err := os.Stat("/proc/self/pagemap"); err != nil {
		t.Skip("/proc/self/pagemap cannot be read here")
	}
	search := func() (hits []int64) {
		for _, q := range []string{"w9_1", `"sober w7_0"`, "court w12_0"} { // under 50 hits each
			r, err := ix.Search(context.Background(), Request{Query: ParseQuery(q), Size: 50})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64 // in order of score; equal scores come in either order
			for _, h := range r.Hits {
				ids = append(ids, h.ThreadID)
			}
			slices.Sort(ids)
			hits = append(append(hits, ids...), -int64(r.Total))
		}
		return hits
	}
	found := search()
	if len(found) < 6 {
		t.Fatalf("the searches found %v; want threads for each", found)
	}
	// A search that reads the whole of every segment, as a merge or a long query can.
	sums := map[int]uint32{}
	forEachSegment(t, ix, func(i int, data []byte) { sums[i] = crc32.ChecksumIEEE(data) })
	resident := residentBytes(t, ix)
	if resident < 1<<20 {
		t.Fatalf("%d bytes of the index resident after reading it all; want over 1 MB", resident)
	}
	// A part at a time: the first half of each segment, then the rest. (A little of the
	// second half can go too: where the kernel maps a file by 2 MB pages, it unmaps the
	// whole of one that the half ends in.)
	half := ix.releasePart(0, 2)
	if left := residentBytes(t, ix); half < resident/3 || left < resident/4 || half+left > resident {
		t.Errorf("releasePart(0, 2) let go of %d bytes and left %d of %d; want about half each", half, left, resident)
	}
	released := half + ix.releasePart(0, 1)
	if left := residentBytes(t, ix); left != 0 {
		t.Errorf("%d bytes of the index still resident after releasePart(0, 1) (released %d)", left, released)
	}
	if released < 1<<20 {
		t.Errorf("releasePart(0, 1) let go of %d bytes; want over 1 MB", released)
	}
	if got := search(); !slices.Equal(got, found) {
		t.Errorf("searches found %v after the pages were let go of, %v before", got, found)
	}
	forEachSegment(t, ix, func(i int, data []byte) {
		if crc32.ChecksumIEEE(data) != sums[i] {
			t.Errorf("segment %d reads differently after its pages were let go of", i)
		}
	})
	ix.Close() // stops the release loop
	if n := ix.releasePart(0, 1); n != 0 {
		t.Errorf("a closed index let go of %d bytes", n)
	}
}

// Over the ceiling, the release lets go of further parts until what stays mapped in is
// under it; without one, of one part at a time.
func TestReleaseKeepsTheIndexUnderItsCeiling(t *testing.T) {
	ix := compactedIndex(t)
	ix.stopReleaseLoop() // the test lets go of the pages itself
	if _, err := os.Stat("/proc/self/pagemap"); err != nil {
		t.Skip("/proc/self/pagemap cannot be read here")
	}
	readAll := func() int64 {
		forEachSegment(t, ix, func(_ int, data []byte) { crc32.ChecksumIEEE(data) })
		return residentBytes(t, ix)
	}
	all := readAll()
	if all < 2<<20 {
		t.Fatalf("%d bytes of the index resident after reading it all; want over 2 MB", all)
	}
	// No ceiling: one part of releaseParts. (Where the kernel maps a file by 2 MB pages,
	// letting go of part of one lets go of all of it: up to two more a segment.)
	slack := int64(len(ix.shards)) * 4 << 20
	k := ix.release(0, true)
	left := residentBytes(t, ix)
	if k != 1 || left < all-all/releaseParts-slack || left >= all {
		t.Errorf("with no ceiling the release left %d of %d bytes and goes on at part %d; want about %d, at part 1", left, all, k, all-all/releaseParts)
	}
	if m := ix.Mapped(); m < left || m > left+1<<20 { // and the shards' small bolt files
		t.Errorf("Mapped() = %d after the release; %d of the segments are mapped in", m, left)
	}
	// A ceiling of a third: the parts after it go too, not all of them.
	readAll()
	ix.LimitMapped(all / 3)
	from := k
	k = ix.release(k, true)
	left = residentBytes(t, ix)
	if left > all/3 || left == 0 {
		t.Errorf("with a ceiling of %d the release left %d of %d bytes mapped in; want some, under the ceiling", all/3, left, all)
	}
	if parts := (k - from + releaseParts) % releaseParts; parts < 2 {
		t.Errorf("the release let go of %d parts (from %d on to %d); want more than one, fewer than all", parts, from, k)
	}
	if m := ix.Mapped(); m < left || m > left+1<<20 { // and the shards' small bolt files
		t.Errorf("Mapped() = %d after the release; %d of the segments are mapped in", m, left)
	}
	// A ceiling above what is mapped in: one part.
	readAll()
	ix.LimitMapped(2 * all)
	if next := ix.release(k, true); next != (k+1)%releaseParts {
		t.Errorf("under the ceiling the release went from part %d to %d", k, next)
	}
	if next := ix.release(k, false); next != k {
		t.Errorf("a look at the ceiling under it went from part %d to %d", k, next)
	}
	// Between two parts, a look at the ceiling lets go of what is over it.
	readAll()
	ix.LimitMapped(all / 2)
	if ix.release(k, false); residentBytes(t, ix) > all/2 {
		t.Errorf("a look at the ceiling of %d left %d bytes mapped in", all/2, residentBytes(t, ix))
	}
	// Searches read the same from pages let go of.
	r, err := ix.Search(context.Background(), Request{Query: ParseQuery("w9_1"), Size: 50})
	if err != nil || r.Total == 0 {
		t.Errorf("a search after the release found %v, %v", r, err)
	}
}

// What counts against the ceiling is every file of the index's directory the process has
// mapped in, in no snapshot or in one, and no file elsewhere.
func TestResidentUnderCountsTheDirectorysMappedFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self/pagemap"); err != nil {
		t.Skip("/proc/self/pagemap cannot be read here")
	}
	mapFile := func(path string) []byte {
		if err := os.WriteFile(path, bytes.Repeat([]byte{7}, 256*pageSize), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		data, err := unix.Mmap(int(f.Fd()), 0, 256*pageSize, unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	dir, elsewhere := t.TempDir(), t.TempDir()
	inside, outside := mapFile(filepath.Join(dir, "segment.zap")), mapFile(filepath.Join(elsewhere, "other.zap"))
	sum := 0
	for i := 0; i < 64*pageSize; i += pageSize { // a quarter of the file inside
		sum += int(inside[i])
	}
	for i := 0; i < len(outside); i += pageSize { // all of the one outside
		sum += int(outside[i])
	}
	n, ok := residentUnder(dir)
	if !ok {
		t.Fatal("the process's memory map could not be read")
	}
	// At least the quarter read; no more than the file (where the kernel maps a file by 2 MB
	// pages, a read brings in the rest of one).
	if n < 64*int64(pageSize) || n > 256*int64(pageSize) || sum != 7*(64+256) {
		t.Errorf("residentUnder counted %d bytes; want %d to %d", n, 64*pageSize, 256*pageSize)
	}
	if err := unix.Munmap(inside); err != nil {
		t.Fatal(err)
	}
	if n, _ := residentUnder(dir); n != 0 {
		t.Errorf("residentUnder counted %d bytes once the file was unmapped", n)
	}
	unix.Munmap(outside)
}

// forEachSegment calls f with the mapped data of every segment of ix's shards, numbered,
// while a snapshot holds them.
func forEachSegment(t *testing.T, ix *Index, f func(i int, data []byte)) {
	t.Helper()
	i := 0
	for _, s := range ix.shards {
		r, err := scorchOf(s).Reader()
		if err != nil {
			t.Fatal(err)
		}
		for _, ss := range r.(*scorch.IndexSnapshot).Segments() {
			if seg, ok := ss.Segment().(interface{ Data() []byte }); ok {
				f(i, seg.Data())
				i++
			}
		}
		r.Close()
	}
}

// residentBytes returns how much of ix's segment files is resident in the process.
func residentBytes(t *testing.T, ix *Index) (n int64) {
	t.Helper()
	ws := &workingSet{}
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ws.pagemap = f
	forEachSegment(t, ix, func(_ int, data []byte) {
		res, err := ws.resident(data)
		if err != nil {
			t.Fatal(err)
		}
		n += int64(count(res)) * int64(pageSize)
	})
	return n
}

// compactedIndex returns an index of 600 threads of 200 words, one segment a shard.
func compactedIndex(t *testing.T) *Index {
	t.Helper()
	ix := indexOfThreads(t, 600)
	if err := ix.compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ix
}

// BenchmarkResidentUnder is one look of the ceiling (release) at an index the size of
// 20,000 threads: two shards' large segments of 60 MB and 300 small segments of 64 KB,
// a quarter of each mapped in.
func BenchmarkResidentUnder(b *testing.B) {
	if _, err := os.Stat("/proc/self/pagemap"); err != nil {
		b.Skip("/proc/self/pagemap cannot be read here")
	}
	dir := b.TempDir()
	sizes := []int{60 << 20, 60 << 20}
	for range 300 {
		sizes = append(sizes, 64<<10)
	}
	sink := 0
	for i, size := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("%012x.zap", i))
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(int64(size)); err != nil {
			b.Fatal(err)
		}
		data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		defer unix.Munmap(data)
		for p := 0; p < size/4; p += pageSize {
			sink += int(data[p])
		}
	}
	if sink != 0 { // the files are holes: zeros, read so that they are mapped in
		b.Fatalf("read %d from files of zeros", sink)
	}
	for b.Loop() {
		if n, ok := residentUnder(dir); !ok || n == 0 {
			b.Fatalf("residentUnder: %d, %v", n, ok)
		}
	}
}
