-- Only a person who was never a member may join with an invite, and approved_at is how the
-- forum knows: every account that holds a role above pending was approved at some point.
UPDATE users SET approved_at = created_at WHERE approved_at IS NULL AND role <> 'pending';
