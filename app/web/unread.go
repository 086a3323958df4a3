package web

import (
	"html/template"

	"github.com/labstack/echo/v4"

	"forum/app/policy"
)

// What is new to a member: "N new" on every list, and on a thread page "new since your
// last visit" before the first new post with a link to it at the top. Lists and thread
// pages are shared between viewers (the thread's content is cached per kind of viewer), so
// a member's own numbers are an overlay added to each page view, never part of a shared
// rendering: on lists, one query for the page's threads (markUnread); on a thread page,
// the slots slotUnread and slotBeforePost of the cached content.

// threadNews is what a thread page shows a member of what is new to them.
type threadNews struct {
	count   int
	first   int64         // the first new post; 0 when nothing is new
	jump    template.HTML // the link to it at the top of the page
	divider template.HTML // goes before it
}

// unreadJump is the data of the "unread_jump" partial.
type unreadJump struct {
	Count int
	First int64
}

// readThread returns what is new to the viewer in the snapshot's thread since their last
// visit (policy.IsNewTo), and records that they have now seen all of it: in memory, as a
// page view never writes to the database (app/unread writes it within a second). Visitors
// and pending accounts have no read position.
func (s *Server) readThread(c echo.Context, snap *threadSnapshot) (threadNews, error) {
	v := viewer(c)
	if !policy.IsMember(v) || len(snap.posts) == 0 {
		return threadNews{}, nil
	}
	t := snap.thread
	pos, err := s.reads.Position(c.Request().Context(), v.ID, t.ID)
	if err != nil {
		return threadNews{}, err
	}
	var n threadNews
	var last int64
	for _, p := range snap.posts {
		last = max(last, p.ID)
		if policy.IsNewTo(v, p, pos) {
			if n.count++; n.first == 0 {
				n.first = p.ID
			}
		}
	}
	s.reads.Record(v.ID, t.ID, last)
	if n.count == 0 {
		return n, nil
	}
	jump, err := s.renderBlock("thread", "unread_jump", unreadJump{Count: n.count, First: n.first})
	if err != nil {
		return threadNews{}, err
	}
	divider, err := s.renderBlock("thread", "unread_divider", nil)
	if err != nil {
		return threadNews{}, err
	}
	n.jump, n.divider = template.HTML(jump), template.HTML(divider) //nolint:gosec // rendered by html/template
	return n, nil
}

// newsSlots puts the slots of what is new to each viewer into thread content rendered for
// many: the link at the top and the place before each reply.
func (d *threadData) newsSlots() {
	d.Unread = template.HTML(unreadSlot) //nolint:gosec // a constant
	if d.Helpful != nil {
		d.Helpful.Before = template.HTML(beforePostMark(d.Helpful.ID)) //nolint:gosec // a constant and a number
	}
	for i := range d.Replies {
		d.Replies[i].Before = template.HTML(beforePostMark(d.Replies[i].ID)) //nolint:gosec // a constant and a number
	}
}

// showNews puts what is new to the viewer into thread content rendered for them alone.
func (d *threadData) showNews(n threadNews) {
	if n.first == 0 {
		return
	}
	d.Unread = n.jump
	if d.Helpful != nil && d.Helpful.ID == n.first {
		d.Helpful.Before = n.divider
	}
	for i := range d.Replies {
		if d.Replies[i].ID == n.first {
			d.Replies[i].Before = n.divider
		}
	}
}

// markUnread sets on each listed thread that the member has opened how many of its posts
// are new to them, and the first: one query for every list of the page, through indexes
// (TestListQueriesUseIndexes). Threads never opened show nothing (see policy.IsNewTo).
func (s *Server) markUnread(c echo.Context, lists ...[]threadItem) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return nil
	}
	var ids []int64
	for _, l := range lists {
		for _, it := range l {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	counts, err := s.reads.Counts(c.Request().Context(), v.ID, ids)
	if err != nil {
		return err
	}
	for _, l := range lists {
		for i := range l {
			if u, ok := counts[l[i].ID]; ok {
				l[i].NewCount, l[i].FirstNew = u.Count, u.First
			}
		}
	}
	return nil
}
