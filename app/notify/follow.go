package notify

import (
	"context"
	"slices"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// ParseLevel reads a level as a form gives it: watching, normal, muted, or none (stop
// following, also the empty string).
func ParseLevel(s string) (model.Level, error) {
	switch l := model.Level(s); l {
	case model.LevelWatching, model.LevelNormal, model.LevelMuted:
		return l, nil
	case "", "none":
		return "", nil
	}
	return "", model.Invalid("level", "Choose watching, normal, muted or not following.")
}

// FollowThread sets the level at which v follows thread threadID ("": not following) and
// returns the thread and the level v now follows it at (policy.ThreadLevel).
func (s *Service) FollowThread(ctx context.Context, v *model.User, threadID int64, level model.Level) (*model.Thread, model.Level, error) {
	t, err := s.store.ThreadRow(ctx, threadID)
	if err != nil {
		return nil, "", err
	}
	if !policy.CanView(v, t) {
		if !policy.IsMember(v) {
			return nil, "", model.ErrForbidden
		}
		return nil, "", model.ErrNotFound
	}
	if !policy.CanFollowThread(v, t) {
		return nil, "", model.ErrForbidden
	}
	now := s.now()
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		if level == "" {
			return tx.DeleteThreadFollow(ctx, v.ID, t.ID)
		}
		return tx.SetThreadFollow(ctx, v.ID, t.ID, level, now)
	})
	if err != nil {
		return nil, "", err
	}
	return t, policy.ThreadLevel(v, t, level), nil
}

// ThreadLevel returns the level at which v follows t ("" for not following).
func (s *Service) ThreadLevel(ctx context.Context, v *model.User, t *model.Thread) (model.Level, error) {
	if !policy.CanFollowThread(v, t) {
		return "", nil
	}
	l, err := s.store.ThreadFollowLevel(ctx, v.ID, t.ID)
	if err != nil {
		return "", err
	}
	return policy.ThreadLevel(v, t, l), nil
}

// FollowTopic sets the level at which v follows a topic ("": not following).
func (s *Service) FollowTopic(ctx context.Context, v *model.User, tagID int64, level model.Level) (*model.Tag, error) {
	if !policy.CanFollowTopic(v) {
		return nil, model.ErrForbidden
	}
	tag, err := s.store.TagByID(ctx, tagID)
	if err != nil {
		return nil, err
	}
	if tag.MergedInto != nil {
		return nil, model.ErrNotFound
	}
	now := s.now()
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		if level == "" {
			return tx.DeleteTagFollow(ctx, v.ID, tag.ID)
		}
		return tx.SetTagFollow(ctx, v.ID, tag.ID, level, now)
	})
	if err != nil {
		return nil, err
	}
	return tag, nil
}

// TopicLevels returns the levels at which v follows topics, by topic.
func (s *Service) TopicLevels(ctx context.Context, v *model.User) (map[int64]model.Level, error) {
	out := map[int64]model.Level{}
	if !policy.CanFollowTopic(v) {
		return out, nil
	}
	follows, err := s.store.TagFollowsOf(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range follows {
		out[*f.TagID] = f.Level
	}
	return out, nil
}

// FollowedThread is a thread a member follows.
type FollowedThread struct {
	Thread *model.Thread
	Level  model.Level
	// Auto: followed because the member started it or replied, not by their choice.
	Auto bool
}

// FollowedTopic is a topic with the level a member follows it at ("": not following).
type FollowedTopic struct {
	Tag   *model.Tag
	Level model.Level
}

// Following is what a member follows: a page of threads, newest first, and every topic.
type Following struct {
	Threads []FollowedThread
	// NextBefore continues the threads after this page (0: the last page).
	NextBefore int64
	// Topics are the topics followed, then the others.
	Topics []FollowedTopic
}

// threadsPerPage is how many followed threads a page lists.
const threadsPerPage = 50

// Following returns what v follows: the threads with ids below before (0: from the
// newest), those v may still read, and the topics.
func (s *Service) Following(ctx context.Context, v *model.User, before int64) (Following, error) {
	if !policy.CanFollowTopic(v) {
		return Following{}, model.ErrForbidden
	}
	follows, err := s.store.ThreadFollowsOf(ctx, v.ID, before, threadsPerPage+1)
	if err != nil {
		return Following{}, err
	}
	var out Following
	if len(follows) > threadsPerPage {
		follows = follows[:threadsPerPage]
		out.NextBefore = *follows[len(follows)-1].ThreadID
	}
	ids := make([]int64, len(follows))
	for i, f := range follows {
		ids[i] = *f.ThreadID
	}
	threads, err := s.store.ThreadRowsByIDs(ctx, ids)
	if err != nil {
		return Following{}, err
	}
	for _, f := range follows {
		if t := threads[*f.ThreadID]; t != nil && policy.CanView(v, t) {
			out.Threads = append(out.Threads, FollowedThread{Thread: t, Level: f.Level, Auto: f.Auto})
		}
	}
	levels, err := s.TopicLevels(ctx, v)
	if err != nil {
		return Following{}, err
	}
	tags, err := s.store.Tags(ctx)
	if err != nil {
		return Following{}, err
	}
	for _, tag := range tags {
		out.Topics = append(out.Topics, FollowedTopic{Tag: tag, Level: levels[tag.ID]})
	}
	// Followed first, each part by name (Tags is by name, and the sort is stable).
	slices.SortStableFunc(out.Topics, func(a, b FollowedTopic) int {
		switch {
		case a.Level != "" && b.Level == "":
			return -1
		case a.Level == "" && b.Level != "":
			return 1
		}
		return 0
	})
	return out, nil
}
