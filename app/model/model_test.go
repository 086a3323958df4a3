package model

import "testing"

func TestRankFollowsTheOrderOfRoles(t *testing.T) {
	for i, r := range Roles {
		if got := r.Rank(); got != i {
			t.Errorf("%s ranks %d, want %d (its place in Roles)", r, got, i)
		}
	}
	if got := Role("owner").Rank(); got != -1 {
		t.Errorf("an unknown role ranks %d, want -1", got)
	}
}
