package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"forum/app/model"
	"forum/app/store"
)

// Message is one e-mail to one member, composed and ready to leave.
type Message struct {
	UserID int64
	To     string // the address alone, without a name: the forum never shows real names
	// MessageID is the same every time the same notification or digest is composed, so
	// that a message sent again after a crash is recognisably the same one.
	MessageID string // with its angle brackets
	Subject   string
	Text      string
	HTML      string
	// Unsubscribe is the one-click unsubscribe address (RFC 8058).
	Unsubscribe string
	Date        time.Time
}

// words are what a message says of one kind of notification. None names a person or
// quotes anyone: a family's shared inbox must not tell the story.
type words struct {
	subject  string // after "Kinship: "
	headline string
	linkText string
	stop     string // "Stop ..." in the footer, for the unsubscribe link
	// one and many count the kind in a digest: "1 mention of you", "3 mentions of you".
	one, many string
}

// count is a digest's line for n notifications of a kind.
func (w words) count(n int) string {
	if n == 1 {
		return "1 " + w.one
	}
	return strconv.Itoa(n) + " " + w.many
}

var kindWords = map[model.NotifyKind]words{
	model.NotifyAnswer: {
		subject: "an expert answered your question", headline: "An expert answered your question.",
		linkText: "Read the answer", stop: "e-mail when an expert answers your question",
		one: "answer from an expert to your question", many: "answers from experts to your questions"},
	model.NotifyReply: {
		subject: "a new reply in a conversation you follow", headline: "There is a new reply in a conversation you follow.",
		linkText: "Read the reply", stop: "e-mail of new replies in conversations you follow",
		one: "new reply in conversations you follow", many: "new replies in conversations you follow"},
	model.NotifyHelpful: {
		subject: "your reply was marked helpful", headline: "A reply of yours was marked as the helpful one.",
		linkText: "See it", stop: "e-mail when a reply of yours is marked helpful",
		one: "reply of yours marked helpful", many: "replies of yours marked helpful"},
	model.NotifyMention: {
		subject: "someone mentioned you", headline: "Someone mentioned you in a conversation.",
		linkText: "Read it", stop: "e-mail when someone mentions you",
		one: "mention of you", many: "mentions of you"},
	model.NotifyNewQuestion: {
		subject: "a new question in a topic you follow", headline: "A new question was asked in a topic you follow.",
		linkText: "Read the question", stop: "e-mail of new questions in topics you follow",
		one: "new question in topics you follow", many: "new questions in topics you follow"},
	model.NotifyApproved: {
		subject: "your membership was approved", headline: "Your membership was approved. Welcome: you can read every conversation and ask your own questions.",
		linkText: "Visit the forum", stop: "e-mail when your membership is approved",
		one: "approval of your membership", many: "approvals of your membership"},
	model.NotifyPostHidden: {
		subject: "a moderator hid one of your posts", headline: "A moderator hid one of your posts. The reason is on the forum, beside the post.",
		linkText: "See why", stop: "e-mail when a moderator hides one of your posts",
		one: "post of yours hidden by a moderator", many: "posts of yours hidden by a moderator"},
	model.NotifyPostRestored: {
		subject: "a moderator restored one of your posts", headline: "A moderator restored one of your posts: everyone can read it again.",
		linkText: "See it", stop: "e-mail when a moderator restores one of your posts",
		one: "post of yours restored by a moderator", many: "posts of yours restored by a moderator"},
	model.NotifyPostEdited: {
		subject: "a moderator edited one of your posts", headline: "A moderator edited one of your posts. The reason is on the forum.",
		linkText: "See why", stop: "e-mail when a moderator edits one of your posts",
		one: "post of yours edited by a moderator", many: "posts of yours edited by a moderator"},
	model.NotifyFlagDanger: {
		subject: "a member reported that someone may be in danger", headline: "A member reported a post because someone may be in danger. Please look at it now.",
		linkText: "Open the reports", stop: "e-mail when a member reports that someone may be in danger",
		one: "report that someone may be in danger", many: "reports that someone may be in danger"},
	model.NotifyFlagHandled: {
		subject: "a post you reported was handled", headline: "A moderator handled a post you reported. Thank you for telling us.",
		linkText: "See it", stop: "e-mail when a post you reported is handled",
		one: "report of yours handled", many: "reports of yours handled"},
}

// digestKinds is the order of kinds in a digest: what matters most first.
var digestKinds = []model.NotifyKind{
	model.NotifyAnswer, model.NotifyHelpful, model.NotifyMention, model.NotifyReply, model.NotifyNewQuestion,
	model.NotifyPostHidden, model.NotifyPostEdited, model.NotifyPostRestored, model.NotifyApproved, model.NotifyFlagDanger, model.NotifyFlagHandled,
}

// digestKind stands for every kind a member gets in a digest, in an unsubscribe token.
const digestKind = "digest"

// Describe says, in the words of the footer's link, what unsubscribing from kind stops
// ("e-mail when an expert answers your question"); kind may also be the digest.
func Describe(kind string) string {
	if kind == digestKind {
		return "the daily summary e-mail"
	}
	if w, ok := kindWords[model.NotifyKind(kind)]; ok {
		return w.stop
	}
	return "these e-mails"
}

// letter is what the templates receive.
type letter struct {
	SiteName       string
	Subject        string
	Headline       string
	Title          string // a thread's title, only for a member who opted in to titles
	Lines          []string
	Titles         []string
	Link           string
	LinkText       string
	StopWhat       string
	UnsubscribeURL string
	SettingsURL    string
	// Discreet: the message holds no title; it says so.
	Discreet bool
}

// composer turns notifications into messages.
type composer struct {
	site   string
	base   *url.URL
	host   string // for Message-IDs
	tokens *Tokens
	text   map[string]*texttemplate.Template
	html   map[string]*htmltemplate.Template
	now    func() time.Time
}

func newComposer(site string, base *url.URL, tokens *Tokens, templates fs.FS, now func() time.Time) (*composer, error) {
	c := &composer{site: site, base: base, host: base.Hostname(), tokens: tokens, now: now,
		text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	if c.host == "" {
		c.host = "localhost"
	}
	for _, name := range []string{"notification", "digest"} {
		t, err := texttemplate.ParseFS(templates, "mail/"+name+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.txt: %w", name, err)
		}
		h, err := htmltemplate.ParseFS(templates, "mail/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", name, err)
		}
		c.text[name], c.html[name] = t, h
	}
	return c, nil
}

// link returns the forum's absolute address of path, with an optional fragment.
func (c *composer) link(path, fragment string) string {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + path
	u.RawQuery, u.Fragment = "", fragment
	return u.String()
}

// titleOf is the thread title a member who opted in may read in a message, shortened.
func titleOf(u *model.User, t *model.Thread) string {
	if u == nil || !u.EmailTitles || t == nil {
		return ""
	}
	const max = 80
	title := strings.Join(strings.Fields(t.Title), " ")
	if utf8.RuneCountInString(title) > max {
		r := []rune(title)
		title = strings.TrimSpace(string(r[:max-1])) + "…"
	}
	return title
}

// notificationKey is the key of a notification's message in mail_sent.
func notificationKey(id int64) string { return "n:" + strconv.FormatInt(id, 10) }

// digestKey is the key of a member's digest of one day in mail_sent.
func digestKey(userID int64, day string) string {
	return "d:" + strconv.FormatInt(userID, 10) + ":" + day
}

// Notification composes the message of one notification. It names the forum and the
// kind of event with a link; the thread's title only for a member who opted in to titles;
// never a person, and never anyone's words.
func (c *composer) Notification(it *store.MailItem) (*Message, error) {
	n, u := it.Notification, it.Recipient
	w, ok := kindWords[n.Kind]
	if !ok {
		return nil, fmt.Errorf("no words for notifications of kind %q", n.Kind)
	}
	l := letter{SiteName: c.site, Headline: w.headline, LinkText: w.linkText, StopWhat: w.stop,
		Title: titleOf(u, it.Thread), SettingsURL: c.link("/account", "")}
	switch {
	case n.Kind == model.NotifyFlagDanger:
		l.Link = c.link("/mod/flags", "")
	case n.ThreadID != nil && n.PostID != nil:
		l.Link = c.link("/t/"+strconv.FormatInt(*n.ThreadID, 10), "post-"+strconv.FormatInt(*n.PostID, 10))
	case n.ThreadID != nil:
		l.Link = c.link("/t/"+strconv.FormatInt(*n.ThreadID, 10), "")
	default:
		l.Link = c.link("/", "")
	}
	l.Discreet = l.Title == ""
	l.Subject = c.site + ": " + w.subject
	if l.Title != "" {
		l.Subject += ": " + l.Title
	}
	// The notification's own time, not the clock's: the same notification composes the
	// same Message-ID after a database restored from a backup reuses its id.
	id := fmt.Sprintf("<n%d.%d@%s>", n.ID, n.CreatedAt.UnixMilli(), c.host)
	return c.compose(u, "notification", string(n.Kind), id, l)
}

// Digest composes a member's summary of the day: how many of each kind happened, with one
// link to their notifications. With titles opted in, it lists the threads' titles too.
func (c *composer) Digest(u *model.User, day string, items []*store.MailItem) (*Message, error) {
	counts := map[model.NotifyKind]int{}
	var titles []string
	seen := map[int64]bool{}
	for _, it := range items {
		counts[it.Notification.Kind]++
		if t := titleOf(u, it.Thread); t != "" && !seen[it.Thread.ID] && len(titles) < 10 {
			seen[it.Thread.ID] = true
			titles = append(titles, t)
		}
	}
	l := letter{SiteName: c.site, Subject: c.site + ": your daily summary", LinkText: "See them on " + c.site,
		Link: c.link("/notifications", ""), SettingsURL: c.link("/account", ""), StopWhat: Describe(digestKind),
		Titles: titles, Discreet: len(titles) == 0}
	for _, k := range digestKinds {
		if counts[k] > 0 {
			l.Lines = append(l.Lines, kindWords[k].count(counts[k]))
		}
	}
	if len(l.Lines) == 0 {
		return nil, fmt.Errorf("an empty digest for member %d", u.ID)
	}
	id := fmt.Sprintf("<d%d.%s.%d@%s>", u.ID, day, u.CreatedAt.UnixMilli(), c.host)
	return c.compose(u, "digest", digestKind, id, l)
}

func (c *composer) compose(u *model.User, template, unsubscribeKind, messageID string, l letter) (*Message, error) {
	token := c.tokens.Unsubscribe(u.ID, unsubscribeKind)
	l.UnsubscribeURL = c.link("/unsubscribe/"+token, "")
	if l.Subject == "" {
		l.Subject = c.site
	}
	var text, html bytes.Buffer
	if err := c.text[template].ExecuteTemplate(&text, "body", l); err != nil {
		return nil, fmt.Errorf("compose %s: %w", template, err)
	}
	if err := c.html[template].ExecuteTemplate(&html, "body", l); err != nil {
		return nil, fmt.Errorf("compose %s: %w", template, err)
	}
	return &Message{
		UserID: u.ID, To: u.Email, MessageID: messageID, Subject: l.Subject,
		Text: text.String(), HTML: html.String(), Unsubscribe: l.UnsubscribeURL, Date: c.now().UTC(),
	}, nil
}
