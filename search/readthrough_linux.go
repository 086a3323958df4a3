package search

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"golang.org/x/sys/unix"
)

// mappedSegment is a segment file's mapping and which of its pages were resident in the
// process when a merge began.
type mappedSegment struct {
	data []byte
	kept []bool // nil: none
}

// workingSet is the pages of a snapshot's segment files that were resident when a merge
// began; trim lets go of the others. A nil workingSet trims nothing.
type workingSet struct {
	pagemap *os.File // this process's page table, one entry a page
	segs    []mappedSegment
}

var pageSize = os.Getpagesize()

// newWorkingSet notes which pages of snap's segment files are resident now; nil when the
// page table cannot be read (it can by the process itself since Linux 4.2).
func newWorkingSet(snap *scorch.IndexSnapshot) *workingSet { return pagesOf(snap, true) }

// noWorkingSet is snap's segment files with no page kept: its trim lets go of every page
// that is resident. Nil when the page table cannot be read.
func noWorkingSet(snap *scorch.IndexSnapshot) *workingSet { return pagesOf(snap, false) }

func pagesOf(snap *scorch.IndexSnapshot, keepResident bool) *workingSet {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil
	}
	ws := &workingSet{pagemap: f}
	for _, ss := range snap.Segments() {
		seg, ok := ss.Segment().(interface{ Data() []byte }) // a segment in a file, mapped
		if !ok || len(seg.Data()) == 0 {
			continue
		}
		s := mappedSegment{data: seg.Data()}
		if keepResident {
			if s.kept, err = ws.resident(s.data); err != nil {
				f.Close()
				return nil
			}
		}
		ws.segs = append(ws.segs, s)
	}
	return ws
}

// resident reports, page by page, whether data's pages are mapped in this process
// (bit 63 of the page's entry in /proc/self/pagemap: "page present").
func (ws *workingSet) resident(data []byte) ([]bool, error) {
	n := (len(data) + pageSize - 1) / pageSize
	buf := make([]byte, 8*n)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	if _, err := ws.pagemap.ReadAt(buf, int64(addr/uintptr(pageSize))*8); err != nil {
		return nil, err
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(buf[8*i:])>>63 == 1
	}
	return out, nil
}

// trim lets go of the pages of the segments that have come into the process since the
// working set was noted, and returns their bytes. The pages stay in the kernel's page
// cache: a search that reads one again maps it back without reading the disk. The
// mappings are shared and read-only, so nothing is lost.
func (ws *workingSet) trim() int64 { return ws.trimPart(0, 1) }

// forgetKept makes the next trim let go of the pages that were resident when the working
// set was noted too: once a merge is in place, searches read the segment it wrote, not
// those it replaced.
func (ws *workingSet) forgetKept() {
	if ws == nil {
		return
	}
	for i := range ws.segs {
		ws.segs[i].kept = nil
	}
}

// trimPart trims the k-th of parts equal runs of pages of each segment (k from 0).
func (ws *workingSet) trimPart(k, parts int) int64 {
	if ws == nil {
		return 0
	}
	var dropped int64
	for _, s := range ws.segs {
		n := (len(s.data) + pageSize - 1) / pageSize
		lo, hi := k*n/parts, (k+1)*n/parts
		if lo >= hi {
			continue
		}
		part := s.data[lo*pageSize : min(hi*pageSize, len(s.data))]
		now, err := ws.resident(part)
		if err != nil {
			return dropped
		}
		kept := func(i int) bool { return s.kept != nil && s.kept[lo+i] }
		for i := 0; i < len(now); {
			if !now[i] || kept(i) {
				i++
				continue
			}
			j := i
			for j < len(now) && now[j] && !kept(j) {
				j++
			}
			run := part[i*pageSize : min(j*pageSize, len(part))]
			if unix.Madvise(run, unix.MADV_DONTNEED) == nil {
				dropped += int64(len(run))
			}
			i = j
		}
	}
	return dropped
}

// residentUnder returns the bytes of the pages of the files under dir that this process
// has mapped in, whoever maps them: a segment that a merge or bleve's persister has just
// written, before it is in the index's snapshot, and one a merge replaced, until the last
// search that read it closes it, count as well as those of the snapshot. False when the
// process's memory map cannot be read.
func residentUnder(dir string) (int64, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, false
	}
	prefix := []byte(abs + string(filepath.Separator))
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, false
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return 0, false
	}
	defer pm.Close()
	var n int64
	var buf []byte
	lines := bufio.NewScanner(bytes.NewReader(maps))
	for lines.Scan() {
		// "start-end perms offset dev inode path", the path from the sixth field on.
		line := lines.Bytes()
		i := bytes.IndexByte(line, '/')
		if i < 0 || !bytes.HasPrefix(line[i:], prefix) {
			continue
		}
		span, _, _ := bytes.Cut(line, []byte(" "))
		lo, hi, ok := bytes.Cut(span, []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		pages := int((end - start) / uint64(pageSize))
		if cap(buf) < 8*pages {
			buf = make([]byte, 8*pages)
		}
		b := buf[:8*pages]
		// A mapping closed meanwhile reads as pages not present: nothing is counted.
		if _, err := pm.ReadAt(b, int64(start/uint64(pageSize))*8); err != nil {
			continue
		}
		for p := 0; p < pages; p++ {
			if binary.LittleEndian.Uint64(b[8*p:])>>63 == 1 {
				n += int64(pageSize)
			}
		}
	}
	return n, true
}

// close releases the page table.
func (ws *workingSet) close() {
	if ws != nil {
		ws.pagemap.Close()
	}
}
