package forum

import (
	"context"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// SetPublishConsent records whether the asker agrees to publish the question to the public
// archive. Withdrawing consent takes a published thread back to members only.
func (s *Service) SetPublishConsent(ctx context.Context, actor *model.User, threadID int64, consent bool) error {
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := s.threadFor(ctx, tx, actor, threadID, policy.CanSetPublishConsent)
		if err != nil {
			return err
		}
		t.PublishConsent, t.UpdatedAt = consent, now
		if !consent && t.Visibility == model.VisibilityPublic {
			t.Visibility, t.PublishedAt, t.PublishedBy = model.VisibilityMembers, nil, nil
		}
		if err := tx.UpdateThread(ctx, t, "publish_consent", "visibility", "published_at", "published_by", "updated_at"); err != nil {
			return err
		}
		return tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now)
	})
}

// Publish puts an answered question, whose asker agreed, in the public archive; Unpublish
// takes it back to members only. Both are in the audit log.
func (s *Service) Publish(ctx context.Context, actor *model.User, threadID int64, publish bool) error {
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		allowed := policy.CanPublish
		if !publish {
			allowed = policy.CanUnpublish
		}
		t, err := s.threadFor(ctx, tx, actor, threadID, allowed)
		if err != nil {
			return err
		}
		action := "unpublish"
		if publish {
			action = "publish"
			t.Visibility, t.PublishedAt, t.PublishedBy = model.VisibilityPublic, &now, &actor.ID
		} else {
			t.Visibility, t.PublishedAt, t.PublishedBy = model.VisibilityMembers, nil, nil
		}
		// Published again or taken out by hand, it no longer waits for a hidden answer's restore.
		t.UpdatedAt, t.ArchiveWithheld = now, false
		if err := tx.UpdateThread(ctx, t, "visibility", "published_at", "published_by", "archive_withheld", "updated_at"); err != nil {
			return err
		}
		if err := tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, action, "thread", t.ID, "", now)
	})
}
