package policy_test

import (
	"strings"
	"testing"
	"time"

	"forum/app/model"
	"forum/app/policy"
)

func TestFlagReasonsAndNotes(t *testing.T) {
	for _, r := range policy.FlagReasons {
		if !policy.ValidFlagReason(r) || policy.FlagReasonLabel(r) == string(r) {
			t.Errorf("reason %q: valid %v, label %q", r, policy.ValidFlagReason(r), policy.FlagReasonLabel(r))
		}
		if policy.FlagNeedsNote(r) != (r == model.FlagOther) {
			t.Errorf("reason %q needs a note: %v", r, policy.FlagNeedsNote(r))
		}
	}
	for _, r := range []model.FlagReason{"", "spam ", "DANGER", "other\n"} {
		if policy.ValidFlagReason(r) {
			t.Errorf("reason %q is valid", r)
		}
	}
	if policy.FlagsHide(policy.FlagsToHide-1) || !policy.FlagsHide(policy.FlagsToHide) {
		t.Errorf("FlagsHide around %d", policy.FlagsToHide)
	}
}

func TestReasonProblem(t *testing.T) {
	for _, tc := range []struct {
		reason string
		ok     bool
	}{
		{"", false}, {"   ", false}, {"off topic", true}, {strings.Repeat("é", policy.MaxReason), true},
		{strings.Repeat("é", policy.MaxReason+1), false},
	} {
		if got := policy.ReasonProblem(tc.reason) == ""; got != tc.ok {
			t.Errorf("ReasonProblem(%d characters) ok = %v, want %v", len([]rune(tc.reason)), got, tc.ok)
		}
	}
}

func TestSuspensionOver(t *testing.T) {
	now := time.Now().UTC()
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	for _, tc := range []struct {
		u    *model.User
		over bool
	}{
		{&model.User{Status: model.StatusSuspended, SuspendedUntil: &earlier}, true},
		{&model.User{Status: model.StatusSuspended, SuspendedUntil: &now}, true},
		{&model.User{Status: model.StatusSuspended, SuspendedUntil: &later}, false},
		{&model.User{Status: model.StatusSuspended}, false},
		{&model.User{Status: model.StatusDeleted, SuspendedUntil: &earlier}, false},
		{nil, false},
	} {
		if got := policy.SuspensionOver(tc.u, now); got != tc.over {
			t.Errorf("SuspensionOver(%+v) = %v", tc.u, got)
		}
	}
}
