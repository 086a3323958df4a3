package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
)

// The report control, without JavaScript (a page, then back to the thread) and with htmx
// (in place), and what a member may not report.
func TestReportAPost(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		posts, err := e.st.PostsByThread(ctx, e.answered.ID)
		if err != nil {
			t.Fatal(err)
		}
		answer := posts[1]
		flagPath := "/p/" + itoa(answer.ID) + "/flag"
		spouse := e.as(e.spouse)
		page := spouse.get(threadPath(e.answered)).Body.String()
		mustContain(t, page, `href="`+flagPath+`"`, `hx-get="`+flagPath+`"`, `id="flag-here-`+itoa(answer.ID)+`"`)
		// Nobody reports their own post.
		mustNotContain(t, e.as(e.coach).get(threadPath(e.answered)).Body.String(), `href="`+flagPath+`"`)
		if rec := e.as(e.coach).get(flagPath); rec.Code != http.StatusForbidden {
			t.Fatalf("the author's report page: %d", rec.Code)
		}

		rec := spouse.get(flagPath)
		if rec.Code != http.StatusOK {
			t.Fatalf("report page: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "<html", "Report a post", "No. Medication for opioid use disorder", "Someone may be in danger",
			"Reveals someone&#39;s identity", `name="note"`)
		frag := spouse.get(flagPath, "HX-Request", "true")
		mustContain(t, frag.Body.String(), `id="flag-form-`+itoa(answer.ID)+`"`, `hx-post="`+flagPath+`"`)
		mustNotContain(t, frag.Body.String(), "<html")

		// A rejected report comes back with what was written and the message beside the field.
		rec = spouse.post(flagPath, url.Values{"reason": {"other"}, "note": {""}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("a report of something else without a note: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Say in a few words what is wrong", `value="other" required checked`)
		long := strings.Repeat("a", policy.MaxFlagNote+1)
		rec = spouse.post(flagPath, url.Values{"reason": {"spam"}, "note": {long}}, "HX-Request", "true")
		if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("HX-Retarget") != "#flag-form-"+itoa(answer.ID) {
			t.Fatalf("a long note in place: %d, retarget %q", rec.Code, rec.Header().Get("HX-Retarget"))
		}
		mustContain(t, rec.Body.String(), "Keep the note under 500 characters", long)

		rec = spouse.post(flagPath, url.Values{"reason": {"danger"}, "note": {"He says he has no reason to live"}}, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("report in place: %d %s", rec.Code, rec.Body.String())
		}
		mustContain(t, rec.Body.String(), "Thank you. The moderators will look at this post")
		rec = spouse.post(flagPath, url.Values{"reason": {"spam"}})
		if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "done=flagged-again") {
			t.Fatalf("a second report: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		location, _, _ := strings.Cut(rec.Header().Get("Location"), "#") // a browser keeps the fragment to itself
		again := spouse.get(location)
		if again.Code != http.StatusOK {
			t.Fatalf("back in the thread: %d %q", again.Code, again.Header().Get("Location"))
		}
		mustContain(t, again.Body.String(), "You reported this post already")
		flags, err := e.st.OpenFlagsOfPosts(ctx, []int64{answer.ID})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(flags[answer.ID]); n != 1 {
			t.Fatalf("open flags after two reports by one member: %d", n)
		}

		// A post the member cannot see is not found; a visitor is asked to sign in.
		hidden := e.helpfulPost
		if _, err := e.forum.ModeratePost(ctx, e.moderator, hidden.ID, forum.ActionHide, "Names a clinic"); err != nil {
			t.Fatal(err)
		}
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var rec = spouse.get("/p/" + itoa(hidden.ID) + "/flag")
			if method == http.MethodPost {
				rec = spouse.post("/p/"+itoa(hidden.ID)+"/flag", url.Values{"reason": {"spam"}})
			}
			if rec.Code != http.StatusNotFound {
				t.Fatalf("%s a report of a hidden post: %d", method, rec.Code)
			}
		}
		if rec := e.as(nil).post(flagPath, url.Values{"reason": {"spam"}}); rec.Code != http.StatusUnauthorized {
			t.Fatalf("a visitor's report: %d", rec.Code)
		}
	})
}

// A flood of reports is stopped with the message beside the reason, status 429.
func TestReportFloodIsRefusedBesideTheField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var last *model.Post
		for i := 0; i <= policy.FlagsPerHour; i++ {
			p, err := e.forum.Reply(ctx, e.parent, e.question.ID, forum.ReplyInput{Body: "Reply number " + strconv.Itoa(i)})
			if err != nil {
				t.Fatal(err)
			}
			if i < policy.FlagsPerHour {
				if _, err := e.forum.Flag(ctx, e.spouse, p.ID, forum.FlagInput{Reason: model.FlagOffTopic}); err != nil {
					t.Fatal(err)
				}
			}
			last = p
		}
		rec := e.as(e.spouse).post("/p/"+itoa(last.ID)+"/flag", url.Values{"reason": {"off_topic"}, "note": {"again"}})
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("the report past the limit: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "as many as an hour allows", `class="field-error"`, ">again</textarea>")
		// Moderators see who reports a lot.
		mustContain(t, e.as(e.moderator).get("/mod/flags").Body.String(), "Members reporting a lot", "quiet_harbor", "20 reports")
	})
}

// A member reports a reply as "someone may be in danger"; the moderator's header counts
// it, the queue shows it in context, hiding it (after a reason and a confirmation) tells
// its author, restoring brings it back, and the audit log reads both as linked sentences.
func TestModeratorHandlesAReport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		posts, err := e.st.PostsByThread(ctx, e.answered.ID)
		if err != nil {
			t.Fatal(err)
		}
		answer := posts[1]
		if _, err := e.forum.Flag(ctx, e.spouse, answer.ID, forum.FlagInput{Reason: model.FlagDanger, Note: "Please look"}); err != nil {
			t.Fatal(err)
		}
		mod := e.as(e.moderator)
		home := mod.get("/").Body.String()
		mustContain(t, home, `<span class="nav-count nav-count-flags">1<span class="visually-hidden"> reported post</span></span>`, `href="/mod/flags"`)
		mustNotContain(t, e.as(e.parent).get("/").Body.String(), "nav-count-flags")
		if rec := e.as(e.parent).get("/mod/flags"); rec.Code != http.StatusForbidden {
			t.Fatalf("a member opens the reports: %d", rec.Code)
		}

		queueRec := mod.get("/mod/flags")
		if queueRec.Code != http.StatusOK {
			t.Fatalf("the queue: %d %s\n%s", queueRec.Code, queueRec.Body.String(), e.logs())
		}
		queue := queueRec.Body.String()
		mustContain(t, queue, "Someone may be in danger", `href="`+threadPath(e.answered)+`#post-`+itoa(answer.ID)+`"`,
			"Is MAT just swapping one drug for another?", "No. Medication for opioid use disorder", "The post before it",
			"Our son&#39;s doctor suggested buprenorphine.", "quiet_harbor", "Please look", `action="/mod/flags/`+itoa(answer.ID)+`"`)

		act := "/mod/flags/" + itoa(answer.ID)
		rec := mod.post(act, url.Values{"action": {"hide"}, "reason": {""}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("a hide without a reason: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Give a reason")
		rec = mod.post(act, url.Values{"action": {"hide"}, "reason": {"Off topic"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("an unconfirmed hide: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Hide this post?", `name="confirmed" value="yes"`, `name="reason" value="Off topic"`)
		if p, _ := e.st.PostByID(ctx, answer.ID); p.HiddenAt != nil {
			t.Fatal("the post was hidden before the moderator confirmed")
		}
		rec = mod.post(act, url.Values{"action": {"hide"}, "reason": {"Off topic"}, "confirmed": {"yes"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("the confirmed hide: %d %s", rec.Code, rec.Body.String())
		}
		e.fanOut()
		ns, err := e.st.NotificationsOf(ctx, e.coach.ID, 0, 10)
		if err != nil || len(ns) == 0 || ns[0].Kind != model.NotifyPostHidden || ns[0].Reason != "Off topic" {
			t.Fatalf("the author's notifications: %+v, %v", ns, err)
		}
		ns, err = e.st.NotificationsOf(ctx, e.spouse.ID, 0, 10)
		if err != nil || len(ns) == 0 || ns[0].Kind != model.NotifyFlagHandled {
			t.Fatalf("the flagger's notifications: %+v, %v", ns, err)
		}
		mustNotContain(t, e.as(e.coach).get("/notifications").Body.String(), "quiet_harbor")
		mustNotContain(t, mod.get("/").Body.String(), "nav-count-flags")

		// Restored from the thread: the post comes back, with a reason.
		rec = mod.post("/p/"+itoa(answer.ID)+"/moderate", url.Values{"action": {"restore"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("a restore without a reason: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Give a reason", `name="note"`)
		rec = mod.post("/p/"+itoa(answer.ID)+"/moderate", url.Values{"action": {"restore"}, "note": {"It was on topic after all"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("restore: %d", rec.Code)
		}
		if p, _ := e.st.PostByID(ctx, answer.ID); p.HiddenAt != nil {
			t.Fatal("the restored post is still hidden")
		}

		// Reported again and edited: the author reads that a moderator edited it, and why;
		// the member who reported it, that it was edited, never the reason nor the words.
		if _, err := e.forum.Flag(ctx, e.parent, answer.ID, forum.FlagInput{Reason: model.FlagIdentity}); err != nil {
			t.Fatal(err)
		}
		mustContain(t, mod.get("/mod/flags").Body.String(), "Reason (required), told to the author")
		rec = mod.post(act, url.Values{"action": {"edit"}, "reason": {"Took out a clinic's name"}, "body": {"Medication is evidence-based treatment."},
			"confirmed": {"yes"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("the edit: %d %s", rec.Code, rec.Body.String())
		}
		e.fanOut()
		mustContain(t, e.as(e.coach).get("/notifications").Body.String(), "A moderator edited your post", "Took out a clinic&#39;s name")
		flagger := e.as(e.parent).get("/notifications").Body.String()
		mustContain(t, flagger, "A moderator looked at the post you reported and edited it.")
		mustNotContain(t, flagger, "clinic", "evidence-based")

		audit := mod.get("/mod/audit").Body.String()
		link := `<a href="` + threadPath(e.answered) + `#post-` + itoa(answer.ID) + `"><em>Is MAT just swapping one drug for another?</em></a>`
		mustContain(t, audit, `<a href="/u/river_stone">river_stone</a> hid a reply by <a href="/u/coach_dana">coach_dana</a> in `+link+`: <span class="audit-note">Off topic</span>`,
			`<a href="/u/river_stone">river_stone</a> restored a reply by <a href="/u/coach_dana">coach_dana</a> in `+link+`: <span class="audit-note">It was on topic after all</span>`)
	})
}

// The audit log filters by moderator, member, action and dates, with pages; it names the
// author of an anonymous post to the moderators who read it.
func TestAuditLogFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		second := e.addUser("calm_lake", model.RoleModerator, model.StatusActive)
		if _, err := e.forum.ModerateThread(ctx, e.moderator, e.question.ID, forum.ActionLock, "Cooling off"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.ModeratePost(ctx, second, e.helpfulPost.ID, forum.ActionHide, "Names a clinic"); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Suspend(ctx, second, e.spouse.ID, "Shouting"); err != nil {
			t.Fatal(err)
		}
		mod := e.as(e.moderator)
		all := mod.get("/mod/audit").Body.String()
		// The question was asked anonymously: moderators read who asked it.
		mustContain(t, all, "river_stone</a> locked <a href=\""+threadPath(e.question)+"\"><em>How do I stop walking on eggshells at home?</em></a> by <a href=\"/u/quiet_harbor\">quiet_harbor (anonymously)</a>",
			"calm_lake</a> suspended <a href=\"/u/quiet_harbor\">quiet_harbor</a>: <span class=\"audit-note\">Shouting</span>")
		for _, tc := range []struct {
			query      string
			want, lack []string
		}{
			{"moderator=calm_lake", []string{"Names a clinic", "Shouting"}, []string{"Cooling off"}},
			{"member=quiet_harbor", []string{"Cooling off", "Shouting"}, []string{"Names a clinic"}},
			{"member=coach_dana&action=hide", []string{"Names a clinic"}, []string{"Cooling off", "Shouting"}},
			{"action=suspend", []string{"Shouting"}, []string{"Names a clinic", "Cooling off"}},
			{"from=" + time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02"), []string{"No actions match these filters"}, []string{"Shouting"}},
			{"to=" + time.Now().UTC().Format("2006-01-02"), []string{"Shouting", "Cooling off"}, nil},
		} {
			rec := mod.get("/mod/audit?" + tc.query)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d", tc.query, rec.Code)
			}
			mustContain(t, rec.Body.String(), tc.want...)
			mustNotContain(t, rec.Body.String(), tc.lack...)
		}
		rec := mod.get("/mod/audit?moderator=nobody_here&from=yesterday")
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("unknown moderator: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Nobody is called nobody_here.", "Choose a day", `value="nobody_here"`)
		if rec := e.as(e.coach).get("/mod/audit"); rec.Code != http.StatusForbidden {
			t.Fatalf("an expert opens the audit log: %d", rec.Code)
		}
	})
}

// Deleting one's post, hiding and suspending are confirmed first, without JavaScript by a
// page that sends the same form again.
func TestDestructiveActionsAreConfirmed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, err := e.forum.Reply(ctx, e.spouse, e.answered.ID, forum.ReplyInput{Body: "I said too much here."})
		if err != nil {
			t.Fatal(err)
		}
		spouse := e.as(e.spouse)
		mustContain(t, spouse.get(threadPath(e.answered)).Body.String(), `data-confirm="Delete this post? This cannot be undone."`)
		del := "/p/" + itoa(p.ID) + "/delete"
		for _, rec := range []*struct{ code int }{{spouse.get(del).Code}, {spouse.post(del, nil).Code}} {
			if rec.code != http.StatusOK {
				t.Fatalf("the delete's confirm step: %d", rec.code)
			}
		}
		page := spouse.post(del, nil).Body.String()
		mustContain(t, page, "Delete this post?", "I said too much here.", `name="confirmed" value="yes"`, `action="`+del+`"`)
		if got, _ := e.st.PostByID(ctx, p.ID); got.DeletedAt != nil {
			t.Fatal("the post was deleted before its author confirmed")
		}
		if rec := spouse.post(del, url.Values{"confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("the confirmed delete: %d", rec.Code)
		}
		if got, _ := e.st.PostByID(ctx, p.ID); got.DeletedAt == nil {
			t.Fatal("the confirmed delete kept the post")
		}

		mod := e.as(e.moderator)
		hide := "/p/" + itoa(e.helpfulPost.ID) + "/moderate"
		rec := mod.post(hide, url.Values{"action": {"hide"}, "note": {"Names a clinic"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("an unconfirmed hide: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Hide this post?", `value="Names a clinic"`)
		if rec := mod.post(hide, url.Values{"action": {"hide"}, "note": {"Names a clinic"}, "confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("the confirmed hide: %d", rec.Code)
		}
		// The moderator still sees the question resolved, with its kept mark.
		page = mod.get(threadPath(e.resolved)).Body.String()
		mustContain(t, page, "The answer that helped", "Hidden by a moderator", "1 reply, and 1 hidden", "state-resolved")
		th, _ := e.st.ThreadByID(ctx, e.resolved.ID)
		if policy.ShownState(e.moderator, th) != model.StateResolved {
			t.Fatalf("the moderator sees the question %s", policy.ShownState(e.moderator, th))
		}

		suspend := "/mod/members/" + itoa(e.parent.ID) + "/suspend"
		rec = mod.post(suspend, url.Values{"action": {"suspend"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("a suspension without a reason: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Give a reason", `name="until"`)
		rec = mod.post(suspend, url.Values{"action": {"suspend"}, "note": {"Threats"}, "until": {time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")}})
		if rec.Code != http.StatusOK {
			t.Fatalf("an unconfirmed suspension: %d", rec.Code)
		}
		if u, _ := e.st.UserByID(ctx, e.parent.ID); u.Status != model.StatusActive {
			t.Fatal("suspended before the moderator confirmed")
		}
		rec = mod.post(suspend, url.Values{"action": {"suspend"}, "note": {"Threats"}, "confirmed": {"yes"},
			"until": {time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("the confirmed suspension: %d", rec.Code)
		}
		if u, _ := e.st.UserByID(ctx, e.parent.ID); u.Status != model.StatusSuspended || u.SuspendedUntil == nil {
			t.Fatalf("after the suspension: %+v", u)
		}
	})
}

// A warning waits for the member's next page and shows until they acknowledge it.
func TestWarningShowsUntilAcknowledged(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		posts, err := e.st.PostsByThread(ctx, e.resolved.ID)
		if err != nil {
			t.Fatal(err)
		}
		own := posts[1] // quiet_harbor's reply
		// A page seen before the warning: what it remembered of the member's warnings
		// must not hide the new one.
		mustNotContain(t, e.as(e.spouse).get("/tags").Body.String(), "A message from the moderators")
		if _, err := e.forum.ActOnFlags(ctx, e.moderator, own.ID, forum.FlagAction{Action: forum.FlagWarn, Reason: "Tone",
			Message: "Please keep replies kind."}); err != nil {
			t.Fatal(err)
		}
		spouse := e.as(e.spouse)
		page := spouse.get("/tags").Body.String()
		mustContain(t, page, "A message from the moderators", "Please keep replies kind.", `name="next" value="/tags"`)
		mustContain(t, spouse.get("/").Body.String(), "Please keep replies kind.")
		w, err := e.st.OpenWarning(ctx, e.spouse.ID)
		if err != nil || w == nil {
			t.Fatalf("open warning: %v %v", w, err)
		}
		if rec := e.as(e.parent).post("/warnings/"+itoa(w.ID)+"/ack", nil); rec.Code != http.StatusNotFound {
			t.Fatalf("someone else acknowledges it: %d", rec.Code)
		}
		rec := spouse.post("/warnings/"+itoa(w.ID)+"/ack", url.Values{"next": {"/tags"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/tags" {
			t.Fatalf("acknowledge: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		mustNotContain(t, spouse.get("/").Body.String(), "Please keep replies kind.")
		mustNotContain(t, e.as(e.parent).get("/").Body.String(), "Please keep replies kind.")
	})
}
