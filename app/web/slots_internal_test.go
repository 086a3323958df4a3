package web

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// longThreadHTML is a thread page's content with n posts, each with its slot before it,
// and the page's other slots around them.
func longThreadHTML(n int) string {
	var b strings.Builder
	b.WriteString(`<meta name="csrf-token" content="` + csrfSlot + `">` + titleSlot + unreadSlot)
	for i := 1; i <= n; i++ {
		b.WriteString(beforePostMark(int64(i)))
		fmt.Fprintf(&b, `<article id="p%d"><p>%s</p></article>`, i, strings.Repeat("We tried the evening walks too. ", 30))
	}
	b.WriteString(followSlot + replySlot)
	return b.String()
}

// TestSplitSlotsFindsEverySlotInOrder: the parts and slots, written back with each slot's
// own text, make the page again; text that starts like a mark but is not one stays text.
func TestSplitSlotsFindsEverySlotInOrder(t *testing.T) {
	h := longThreadHTML(3) + slotPrefix + "~ " + slotPrefix
	s := splitSlots(h)
	want := []slot{slotCSRF, slotTitle, slotUnread, slotBeforePost, slotBeforePost, slotBeforePost, slotFollow, slotReply}
	if fmt.Sprint(s.slots) != fmt.Sprint(want) {
		t.Fatalf("slots %v, want %v", s.slots, want)
	}
	if fmt.Sprint(s.args[3:6]) != "[1 2 3]" {
		t.Fatalf("the posts' ids %v, want [1 2 3]", s.args[3:6])
	}
	var w bytes.Buffer
	s.write(&w, func(w *bytes.Buffer, k slot, arg int64) {
		if k == slotBeforePost {
			w.WriteString(beforePostMark(arg))
			return
		}
		w.WriteString(markOf(k))
	})
	if w.String() != h {
		t.Fatalf("written back:\n%.300s\nwant:\n%.300s", w.String(), h)
	}
}

// BenchmarkSplitSlots splits a thread page of 200 posts, as a reply to a long thread makes
// every node do: once over the page, not once per slot.
func BenchmarkSplitSlots(b *testing.B) {
	h := longThreadHTML(200)
	b.SetBytes(int64(len(h)))
	for b.Loop() {
		if s := splitSlots(h); len(s.slots) != 205 {
			b.Fatalf("%d slots", len(s.slots))
		}
	}
}
