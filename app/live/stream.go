package live

import (
	"context"
	"io"
	"strings"
	"time"
)

// Serve writes the stream's events to w as Server-Sent Events, calling flush after each
// burst, with a heartbeat comment when idle, until ctx ends (the client went) or the
// broker ends the stream. The caller has written the response's header. It returns the
// error of a failed write, or nil.
func (s *Stream) Serve(ctx context.Context, w io.Writer, flush func() error) error {
	// How soon a browser tries again after a lost connection (not a shutdown, which says).
	if err := write(w, flush, "retry: 3000\n\n"); err != nil {
		return err
	}
	heartbeat := time.NewTicker(s.b.opts.Heartbeat)
	defer heartbeat.Stop()
	var buf strings.Builder
	for {
		buf.Reset()
		select {
		case <-ctx.Done():
			return nil
		case <-heartbeat.C:
			buf.WriteString(": keep-alive\n\n")
		case ev := <-s.events:
			writeEvent(&buf, ev)
			s.drain(&buf)
		case <-s.ended:
			s.drain(&buf)
			buf.WriteString(s.finalWords())
			return write(w, flush, buf.String())
		}
		if err := write(w, flush, buf.String()); err != nil {
			return err
		}
	}
}

// drain adds the events already waiting, so that a burst goes out in one write.
func (s *Stream) drain(buf *strings.Builder) {
	for {
		select {
		case ev := <-s.events:
			writeEvent(buf, ev)
		default:
			return
		}
	}
}

func write(w io.Writer, flush func() error, s string) error {
	if s == "" {
		return nil
	}
	if _, err := io.WriteString(w, s); err != nil {
		return err
	}
	return flush()
}

// writeEvent writes ev in the event stream format: its name, its id, and each line of its
// data on a line of its own.
func writeEvent(b *strings.Builder, ev Event) {
	if ev.Name != "" {
		b.WriteString("event: ")
		b.WriteString(oneLine(ev.Name))
		b.WriteByte('\n')
	}
	if ev.ID != "" {
		b.WriteString("id: ")
		b.WriteString(oneLine(ev.ID))
		b.WriteByte('\n')
	}
	data := strings.ReplaceAll(strings.ReplaceAll(ev.Data, "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

// oneLine keeps a field on its line: a name or an id never holds a line break.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return -1
		}
		return r
	}, s)
}
