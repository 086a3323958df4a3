package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

type tagForm struct {
	Name, Slug, Description string
}

type tagsData struct {
	Tags      []*model.Tag
	CanManage bool
	Form      tagForm
	Errors    map[string]string
}

// tagIndex lists every tag with its number of threads; moderators add tags here.
func (s *Server) tagIndex(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	return s.renderTags(c, http.StatusOK, tagsData{})
}

func (s *Server) renderTags(c echo.Context, status int, d tagsData) error {
	tags, err := s.store.Tags(c.Request().Context())
	if err != nil {
		return err
	}
	d.Tags, d.CanManage = tags, policy.CanManageTags(viewer(c))
	return s.render(c, status, "tags", "tags", d)
}

// tagPage lists a tag's threads; moderators rename, describe and merge it here. Members
// see every thread of the topic, visitors its published ones.
func (s *Server) tagPage(c echo.Context) error {
	v := viewer(c)
	if policy.IsPending(v) {
		return s.redirect(c, "/welcome")
	}
	slug := c.Param("slug")
	member := policy.IsMember(v)
	path := c.Request().URL.Path
	type extra struct {
		tag     *model.Tag
		allTags []*model.Tag
	}
	load := func(ctx context.Context) (loadedList, any, error) {
		tag, err := s.store.TagBySlug(ctx, slug)
		if err != nil {
			return loadedList{}, nil, err
		}
		if tag.MergedInto != nil {
			into, err := s.store.TagByID(ctx, *tag.MergedInto)
			if err != nil {
				return loadedList{}, nil, err
			}
			return loadedList{}, nil, redirectError{"/tags/" + into.Slug}
		}
		threads, err := s.store.Threads(ctx, store.ThreadQuery{TagID: tag.ID, PublicOnly: !member, Limit: pageSize + 1, After: parseCursor(c)})
		if err != nil {
			return loadedList{}, nil, err
		}
		// For moderators' merge form.
		all, err := s.store.Tags(ctx)
		if err != nil {
			return loadedList{}, nil, err
		}
		return listOf(path, threads), &extra{tag: tag, allTags: all}, nil
	}
	view := func(v *model.User, l loadedList, val any) (*listData, error) {
		x := val.(*extra)
		tag := x.tag
		d := &listData{Heading: tag.Name, Lede: tag.Description, Tag: tag, Empty: "No threads with this tag yet.",
			CanManage: policy.CanManageTags(v), CurrentPath: path}
		if d.CanManage {
			d.AllTags, d.TagForm = x.allTags, tagForm{Name: tag.Name, Slug: tag.Slug, Description: tag.Description}
		}
		if policy.CanFollowTopic(v) {
			d.FollowHTML = template.HTML(followSlot) //nolint:gosec // a constant
		}
		return d, nil
	}
	var tag *model.Tag
	fill := func(w *bytes.Buffer, k slot, _ int64) {
		if k == slotFollow && tag != nil {
			s.writeTopicFollow(w, c, tag, path)
		}
	}
	// The member's follow level goes into the shared rendering: read it first.
	if policy.CanFollowTopic(v) {
		t, err := s.cachedTag(c.Request().Context(), slug)
		if err != nil {
			return err
		}
		tag = t
	}
	key := listKey(c, "topic:"+slug+":"+strconv.FormatBool(member))
	keys := []string{topicKey(slug)}
	if !member {
		keys = append(keys, publicKey)
	}
	return redirected(c, s.serveList(c, key, keys, "tags", load, view, fill))
}

// cachedTag returns the topic of slug from the page cache: every member's view of a topic
// page asks for it (a topic's own writes drop every page, and so this).
func (s *Server) cachedTag(ctx context.Context, slug string) (*model.Tag, error) {
	return cached(ctx, s, "tag:"+slug, []string{topicKey(slug)}, func(ctx context.Context) (*model.Tag, int, error) {
		t, err := s.store.TagBySlug(ctx, slug)
		if err != nil {
			return nil, 0, err
		}
		return t, 200 + len(t.Name) + len(t.Slug) + len(t.Description), nil
	})
}

// topicLevels returns the levels the viewer follows topics at, kept in the page cache under
// the member's key (a follow changed on this node drops it at once).
func (s *Server) topicLevels(ctx context.Context, v *model.User) (map[int64]model.Level, error) {
	return cached(ctx, s, "topic-levels:"+strconv.FormatInt(v.ID, 10), []string{memberKey(v.ID)}, func(ctx context.Context) (map[int64]model.Level, int, error) {
		levels, err := s.notify.TopicLevels(ctx, v)
		return levels, 64 + 32*len(levels), err
	})
}

// writeTopicFollow writes the viewer's follow form of a topic to w; nothing when it cannot
// be read.
func (s *Server) writeTopicFollow(w *bytes.Buffer, c echo.Context, tag *model.Tag, ret string) {
	levels, err := s.topicLevels(c.Request().Context(), viewer(c))
	if err != nil {
		s.log.Warn("read topic follows", "id", requestID(c), "err", err)
		return
	}
	form, err := s.followFormOf("list", topicFollowForm(tag, levels[tag.ID], ret, csrfSlot), topicKey(tag.Slug))
	if err != nil {
		s.log.Warn("render a topic's follow form", "id", requestID(c), "err", err)
		return
	}
	csrf := csrfToken(c)
	form.write(w, func(w *bytes.Buffer, k slot, _ int64) {
		if k == slotCSRF {
			w.WriteString(csrf)
		}
	})
}

func (s *Server) renderTagPage(c echo.Context, status int, errs map[string]string, form tagForm) error {
	ctx := c.Request().Context()
	tag, err := s.store.TagBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	if tag.MergedInto != nil {
		into, err := s.store.TagByID(ctx, *tag.MergedInto)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusMovedPermanently, "/tags/"+into.Slug)
	}
	// Visitors see the tag's published threads only.
	p, err := s.listPage(c, store.ThreadQuery{TagID: tag.ID, PublicOnly: !policy.IsMember(viewer(c))})
	if err != nil {
		return err
	}
	d := listData{Heading: tag.Name, Lede: tag.Description, Tag: tag, Page: p,
		Empty: "No threads with this tag yet.", CanManage: policy.CanManageTags(viewer(c)), TagErrors: errs, TagForm: form}
	if d.CanManage {
		if d.AllTags, err = s.store.Tags(ctx); err != nil {
			return err
		}
		if form.Name == "" {
			d.TagForm = tagForm{Name: tag.Name, Slug: tag.Slug, Description: tag.Description}
		}
	}
	if err := s.markUnread(c, d.Page.Items); err != nil {
		return err
	}
	if c.QueryParam("after") != "" && isFragment(c) {
		return s.renderPartial(c, http.StatusOK, "thread_page", d.Page)
	}
	d.CurrentPath = c.Request().URL.Path
	if v := viewer(c); policy.CanFollowTopic(v) {
		levels, err := s.notify.TopicLevels(ctx, v)
		if err != nil {
			return err
		}
		f := topicFollowForm(tag, levels[tag.ID], d.CurrentPath, csrfToken(c))
		d.Follow = &f
	}
	return s.render(c, status, "list", "tags", d)
}

// tagCreate adds a tag (moderators).
func (s *Server) tagCreate(c echo.Context) error {
	form := tagForm{Name: c.FormValue("name"), Slug: c.FormValue("slug"), Description: c.FormValue("description")}
	if errs := cleanedFields(c, "name", "slug", "description"); errs != nil && policy.CanManageTags(viewer(c)) {
		return s.renderTags(c, http.StatusUnprocessableEntity, tagsData{Form: form, Errors: errs})
	}
	tag, err := s.forum.CreateTag(c.Request().Context(), viewer(c), forum.TagInput(form))
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.renderTags(c, http.StatusUnprocessableEntity, tagsData{Form: form, Errors: inv.Fields})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, "/tags/"+tag.Slug)
}

// tagUpdate renames or describes a tag (moderators).
func (s *Server) tagUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	tag, err := s.store.TagBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	form := tagForm{Name: c.FormValue("name"), Slug: c.FormValue("slug"), Description: c.FormValue("description")}
	if errs := cleanedFields(c, "name", "slug", "description"); errs != nil && policy.CanManageTags(viewer(c)) {
		return s.renderTagPage(c, http.StatusUnprocessableEntity, errs, form)
	}
	updated, err := s.forum.UpdateTag(ctx, viewer(c), tag.ID, forum.TagInput(form))
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.renderTagPage(c, http.StatusUnprocessableEntity, inv.Fields, form)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone("/tags/"+updated.Slug, "tag"))
}

// tagMerge moves a tag's threads onto another tag (moderators).
func (s *Server) tagMerge(c echo.Context) error {
	ctx := c.Request().Context()
	tag, err := s.store.TagBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	into, _ := strconv.ParseInt(c.FormValue("into"), 10, 64)
	err = s.forum.MergeTags(ctx, viewer(c), tag.ID, into)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.renderTagPage(c, http.StatusUnprocessableEntity, inv.Fields, tagForm{})
	}
	if err != nil {
		return err
	}
	target, err := s.store.TagByID(ctx, into)
	if err != nil {
		return err
	}
	return s.redirect(c, "/tags/"+target.Slug)
}
