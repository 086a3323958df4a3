package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/auth"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/notify"
	"forum/app/policy"
	"forum/app/store"
)

type accountData struct {
	User          *model.User
	Sessions      []sessionView
	PseudonymForm nameForm
	Bio           string
	BioError      string
	Delete        deleteForm
	Email         emailForm
}

// emailForm is the account page's choice of e-mail for each kind of notification.
type emailForm struct {
	Choices []emailChoice
	Titles  bool
	Error   string
}

// emailChoice is the delivery of one kind of notification.
type emailChoice struct {
	Kind     model.NotifyKind
	Label    string
	Delivery model.Delivery
}

// emailLabels say what each kind of notification tells, on the account page.
var emailLabels = map[model.NotifyKind]string{
	model.NotifyAnswer:       "An expert answers your question",
	model.NotifyReply:        "A reply in a thread you watch",
	model.NotifyMention:      "Someone mentions or quotes you",
	model.NotifyHelpful:      "Your reply is marked helpful",
	model.NotifyNewQuestion:  "A new question in a topic you watch",
	model.NotifyApproved:     "Your membership is approved",
	model.NotifyPostHidden:   "A moderator hides one of your posts",
	model.NotifyPostRestored: "A moderator restores one of your posts",
	model.NotifyPostEdited:   "A moderator edits one of your posts",
	model.NotifyFlagHandled:  "A moderator handles a post you reported",
	model.NotifyFlagDanger:   "A member reports that someone may be in danger",
}

// newEmailForm is the form of the member's choices.
func newEmailForm(v *model.User, p notify.Preferences) emailForm {
	f := emailForm{Titles: p.EmailTitles}
	for _, k := range notify.Kinds() {
		if !policy.HearsOfKind(v, k) {
			continue
		}
		f.Choices = append(f.Choices, emailChoice{Kind: k, Label: emailLabels[k], Delivery: p.Email[k]})
	}
	return f
}

// deleteForm is the account deletion form as the member filled it in.
type deleteForm struct {
	// Posts is the choice for the member's posts: "keep" or "remove" (empty: none yet).
	Posts                    string
	Confirm                  string
	PostsError, ConfirmError string
}

// Keep and Remove say which choice for the posts is ticked.
func (f deleteForm) Keep() bool   { return f.Posts == "keep" }
func (f deleteForm) Remove() bool { return f.Posts == "remove" }

type sessionView struct {
	ID        int64
	Current   bool
	UserAgent string
	IP        string
	Created   time.Time
	LastSeen  time.Time
}

// requireViewer returns the signed-in user or sends the visitor to the sign-in page.
func requireViewer(c echo.Context) (*model.User, error) {
	v := viewer(c)
	if v == nil {
		return nil, errSignInRequired
	}
	return v, nil
}

// errSignInRequired asks the error handler to show the sign-in page.
var errSignInRequired = errors.New("sign in required")

func (s *Server) accountData(c echo.Context, v *model.User) (accountData, error) {
	d := accountData{User: v, PseudonymForm: nameForm{Pseudonym: v.Pseudonym}, Bio: v.Bio}
	sessions, err := s.store.ActiveSessions(c.Request().Context(), v.ID, time.Now().UTC())
	if err != nil {
		return d, err
	}
	prefs, err := s.notify.Preferences(c.Request().Context(), v)
	if err != nil {
		return d, err
	}
	d.Email = newEmailForm(v, prefs)
	cur := currentSession(c)
	for _, x := range sessions {
		d.Sessions = append(d.Sessions, sessionView{ID: x.ID, Current: cur != nil && cur.ID == x.ID,
			UserAgent: x.UserAgent, IP: x.IP, Created: x.CreatedAt, LastSeen: x.LastSeenAt})
	}
	return d, nil
}

// account shows the member's own settings: name, bio, sessions, export, deletion.
func (s *Server) account(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	d, err := s.accountData(c, v)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "account", "account", d)
}

func (s *Server) accountPseudonym(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	name := c.FormValue("pseudonym")
	if errs := cleanedFields(c, "pseudonym"); errs != nil {
		return s.accountRejected(c, v, func(d *accountData) {
			d.PseudonymForm = nameForm{Pseudonym: name, Error: errs["pseudonym"]}
		})
	}
	err = s.forum.SetPseudonym(c.Request().Context(), v, name)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.accountRejected(c, v, func(d *accountData) {
			d.PseudonymForm = nameForm{Pseudonym: name, Error: inv.Fields["pseudonym"]}
		})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone("/account", "name"))
}

func (s *Server) accountBio(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	bio := c.FormValue("bio")
	if errs := cleanedFields(c, "bio"); errs != nil {
		return s.accountRejected(c, v, func(d *accountData) { d.Bio, d.BioError = bio, errs["bio"] })
	}
	err = s.forum.UpdateBio(c.Request().Context(), v, bio)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.accountRejected(c, v, func(d *accountData) { d.Bio, d.BioError = bio, inv.Fields["bio"] })
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone("/account", "bio"))
}

// accountDiscreet saves whether page titles show only the forum's name.
func (s *Server) accountDiscreet(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	if err := s.forum.SetDiscreetTitles(c.Request().Context(), v, c.FormValue("discreet_titles") == "on"); err != nil {
		return err
	}
	return s.redirect(c, withDone("/account", "discreet"))
}

// accountNotifications saves the member's choices of e-mail.
func (s *Server) accountNotifications(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "unreadable form")
	}
	p := notify.Preferences{Email: map[model.NotifyKind]model.Delivery{}, EmailTitles: form.Get("email_titles") == "on"}
	for _, k := range notify.Kinds() {
		if d := form.Get("email_" + string(k)); d != "" {
			p.Email[k] = model.Delivery(d)
		}
	}
	err = s.notify.SetPreferences(c.Request().Context(), v, p)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.accountRejected(c, v, func(d *accountData) {
			d.Email = newEmailForm(v, p)
			d.Email.Error = invalidMessage(inv)
		})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone("/account", "email")+"#email-h")
}

// accountRejected shows the account page again, status 422, with what set adds: the
// member's rejected input and the message beside its field.
func (s *Server) accountRejected(c echo.Context, v *model.User, set func(*accountData)) error {
	d, err := s.accountData(c, v)
	if err != nil {
		return err
	}
	set(&d)
	return s.render(c, http.StatusUnprocessableEntity, "account", "account", d)
}

// accountRevokeSession signs out one of the member's own sessions.
func (s *Server) accountRevokeSession(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sessions, err := s.store.ActiveSessions(ctx, v.ID, time.Now().UTC())
	if err != nil {
		return err
	}
	for _, x := range sessions {
		if x.ID == id {
			if err := s.sessions.Revoke(ctx, id); err != nil {
				return err
			}
			if cur := currentSession(c); cur != nil && cur.ID == id {
				return s.logout(c)
			}
			return s.redirect(c, withDone("/account", "signed-out"))
		}
	}
	return model.ErrNotFound
}

// accountExport downloads everything the forum holds about the member, as JSON.
func (s *Server) accountExport(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	e, err := s.forum.ExportData(c.Request().Context(), v)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="kinship-my-data.json"`)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// accountDelete deletes the member's account; the member chooses what happens to posts.
// A form missing the choice or the confirmation comes back with what was chosen and a
// message beside each field. After the deletion the browser is sent to a page that says
// so (POST, redirect, GET): reloading it sends nothing again.
func (s *Server) accountDelete(c echo.Context) error {
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	posts, confirm := c.FormValue("posts"), c.FormValue("confirm")
	form := deleteForm{Posts: posts, Confirm: confirm}
	if posts != "keep" && posts != "remove" {
		form.Posts, form.PostsError = "", "Choose what happens to your posts."
	}
	if strings.TrimSpace(strings.ToLower(confirm)) != "delete" {
		form.ConfirmError = "Type the word delete in this box to confirm."
		if confirm != "" {
			form.ConfirmError = "That is not the word delete. Type delete in this box to confirm."
		}
	}
	if form.PostsError != "" || form.ConfirmError != "" {
		return s.accountRejected(c, v, func(d *accountData) { d.Delete = form })
	}
	err = s.forum.DeleteAccount(c.Request().Context(), v, posts == "remove")
	if errors.Is(err, forum.ErrNotYetErased) {
		// The account is gone; the old text leaves the log at the next checkpoint.
		s.log.Warn("account deleted; write-ahead log not emptied yet", "id", requestID(c), "err", err)
	} else if err != nil {
		return err
	}
	s.clearCookie(c, auth.CookieName, "/")
	// The browser becomes a visitor's, with a fresh pre-session value.
	s.rotatePreSession(c)
	return s.redirect(c, "/account/deleted")
}

// accountDeleted says goodbye after an account was deleted. It is a visitor's page and
// holds nothing about the account, so that it may be shown to anyone who opens it.
func (s *Server) accountDeleted(c echo.Context) error {
	if viewer(c) != nil {
		// Someone signed in has an account: nothing was deleted here.
		return s.redirect(c, "/account")
	}
	return s.render(c, http.StatusOK, "signin_failed", "", signInFailed{"Your account is deleted",
		"Your sign-in, e-mail address, name and profile are gone. Thank you for having been part of this community."})
}

type profileData struct {
	User *model.User
	// Expert and Credential: the Expert badge and credential line, as policy.ShowAuthor says.
	Expert     bool
	Credential string
	Own        bool
	// Answers are the person's latest expert answers the viewer may read; AnswerCount and
	// HelpfulCount count all of them, and those the asker marked helpful.
	Answers                   []answerView
	AnswerCount, HelpfulCount int
	// Topics are those the expert answered most, with how many threads of each.
	Topics []store.TopicCount
	// Started and Replies are the person's latest threads and replies under their name,
	// for members (policy.CanSeeMemberActivity): never an anonymous post.
	ShowActivity bool
	Started      []answerView
	Replies      []answerView
}

// answerView is an expert answer as a profile lists it: the question, and the answer's place.
type answerView struct {
	Item    threadItem
	URL     string
	At      time.Time
	Helpful bool
}

// profileAnswers is how many answers a profile lists.
const profileAnswers = 10

// profile shows a member's public face: pseudonym, role, credential, bio, and an expert's
// latest answers.
func (s *Server) profile(c echo.Context) error {
	name := c.Param("name")
	type loaded struct {
		user                      *model.User
		answers                   []store.AuthorAnswer
		answerCount, helpfulCount int
		topics                    []store.TopicCount
		started, replies          []store.AuthorAnswer
	}
	sp := sharedPage{key: "profile:" + strings.ToLower(name), ttl: pageTTL, name: "profile",
		load: func(ctx context.Context) (loadedPage, error) {
			u, err := s.store.UserByPseudonym(ctx, name)
			if err != nil {
				return loadedPage{}, err
			}
			l := &loaded{user: u}
			lp := loadedPage{value: l, size: 1000 + len(u.Bio), authors: []int64{u.ID}, keys: []string{authorKey(u.ID)}}
			// What the viewer is shown of them is decided per kind of viewer (view).
			if l.answers, err = s.store.ExpertAnswersByAuthor(ctx, u.ID, profileAnswers); err != nil {
				return loadedPage{}, err
			}
			if l.answerCount, l.helpfulCount, err = s.store.ExpertAnswerCounts(ctx, u.ID); err != nil {
				return loadedPage{}, err
			}
			if l.topics, err = s.store.ExpertAnswerTopics(ctx, u.ID, 5); err != nil {
				return loadedPage{}, err
			}
			// Threads started and replies under their name, shown to members only (view).
			if l.started, err = s.store.NamedPostsByAuthor(ctx, u.ID, true, profileAnswers); err != nil {
				return loadedPage{}, err
			}
			if l.replies, err = s.store.NamedPostsByAuthor(ctx, u.ID, false, profileAnswers); err != nil {
				return loadedPage{}, err
			}
			for _, list := range [][]store.AuthorAnswer{l.answers, l.started, l.replies} {
				for _, a := range list {
					lp.size += threadsSize(a.Thread) + 200
					lp.keys = append(lp.keys, threadKey(a.Thread.ID))
				}
			}
			lp.size += 100 * len(l.topics)
			return lp, nil
		},
		check: func(v *model.User, val any) error {
			if !policy.CanViewProfile(v, val.(*loaded).user) {
				if v == nil {
					return errSignInRequired
				}
				return model.ErrNotFound
			}
			return nil
		},
		view: func(v *model.User, val any) (any, error) {
			l := val.(*loaded)
			u := l.user
			who := policy.ShowAuthor(v, u, false)
			d := profileData{User: u, Expert: who.Expert, Credential: who.Credential, Own: v != nil && v.ID == u.ID}
			if who.Expert {
				for _, a := range l.answers {
					if !policy.CanView(v, a.Thread) {
						continue
					}
					d.Answers = append(d.Answers, answerView{Item: newThreadItem(v, a.Thread),
						URL: threadURL(a.Thread) + "#post-" + strconv.FormatInt(a.Post.ID, 10), At: a.Post.CreatedAt,
						Helpful: a.Thread.HelpfulPostID != nil && *a.Thread.HelpfulPostID == a.Post.ID})
				}
				d.AnswerCount, d.HelpfulCount, d.Topics = l.answerCount, l.helpfulCount, l.topics
			}
			if d.ShowActivity = policy.CanSeeMemberActivity(v, u); d.ShowActivity {
				lists := map[*[]answerView][]store.AuthorAnswer{&d.Started: l.started}
				if !who.Expert {
					lists[&d.Replies] = l.replies // an expert's replies are their answers, above
				}
				for list, posts := range lists {
					for _, a := range posts {
						if !policy.CanView(v, a.Thread) || a.Post.Anonymous {
							continue
						}
						url := threadURL(a.Thread)
						if !a.Post.Opening {
							url += "#post-" + strconv.FormatInt(a.Post.ID, 10)
						}
						*list = append(*list, answerView{Item: newThreadItem(v, a.Thread), URL: url, At: a.Post.CreatedAt,
							Helpful: a.Thread.HelpfulPostID != nil && *a.Thread.HelpfulPostID == a.Post.ID})
					}
				}
			}
			return d, nil
		}}
	return s.serveShared(c, sp)
}
