package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"

	"forum/app/config"
)

// FlowCookie carries one sign-in attempt from its start to the provider's callback.
const FlowCookie = "forum_oauth"

// flowTTL bounds how long a person may take at the provider's sign-in page.
const flowTTL = 10 * time.Minute

// Errors of a sign-in attempt, each shown to the person with its own explanation.
var (
	ErrUnknownProvider = errors.New("unknown sign-in provider")
	ErrFlowMissing     = errors.New("the sign-in attempt expired or was already used")
	ErrStateMismatch   = errors.New("the sign-in answer does not match the attempt")
	ErrCancelled       = errors.New("sign-in was cancelled at the provider")
)

// Provider is one configured way to sign in.
type Provider struct {
	Name  string // in URLs: /auth/{Name}
	Label string // on the button
	goth  goth.Provider
	pkce  bool
}

// Providers holds the configured sign-in providers. goth's gothic package is not used:
// it keeps providers and its cookie store in package state, and by default accepts a
// state parameter chosen by the client. Here every attempt gets a fresh random state,
// kept (with the PKCE verifier) in a short-lived cookie signed with the session secret,
// and the callback must present the same state, once.
type Providers struct {
	list   []*Provider
	secret []byte
	Now    func() time.Time
}

// NewProviders builds the providers enabled in cfg. An OpenID Connect provider reads its
// discovery document now, so that a wrong URL stops the start.
func NewProviders(cfg *config.Config) (*Providers, error) {
	ps := &Providers{secret: cfg.SessionSecret, Now: time.Now}
	callback := func(name string) string { return cfg.BaseURL.String() + "/auth/" + name + "/callback" }
	o := cfg.OAuth
	if o.GitHubClientID != "" {
		ps.list = append(ps.list, &Provider{Name: "github", Label: "GitHub",
			goth: github.New(o.GitHubClientID, o.GitHubClientSecret, callback("github"), "read:user", "user:email")})
	}
	if o.GoogleClientID != "" {
		ps.list = append(ps.list, &Provider{Name: "google", Label: "Google",
			goth: google.New(o.GoogleClientID, o.GoogleClientSecret, callback("google"), "openid", "email", "profile")})
	}
	if o.OIDCClientID != "" {
		// goth's OpenID Connect provider needs "openid" first among the scopes.
		p, err := openidConnect.New(o.OIDCClientID, o.OIDCClientSecret, callback("oidc"), o.OIDCDiscoveryURL, "openid", "email", "profile")
		if err != nil {
			return nil, &config.Error{Var: "FORUM_OIDC_DISCOVERY_URL", Msg: "cannot read the discovery document: " + oneLine(err)}
		}
		ps.list = append(ps.list, &Provider{Name: "oidc", Label: o.OIDCName, goth: p, pkce: true})
	}
	return ps, nil
}

// List returns the providers, in the order of the sign-in page.
func (ps *Providers) List() []*Provider { return ps.list }

func (ps *Providers) get(name string) (*Provider, error) {
	for _, p := range ps.list {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, ErrUnknownProvider
}

// flow is the signed content of the flow cookie.
type flow struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Verifier string `json:"v,omitempty"`
	Session  string `json:"g"`
	Expires  int64  `json:"e"`
}

// Begin starts a sign-in with a provider: it returns the provider's URL to send the
// browser to and the value of the flow cookie to set.
func (ps *Providers) Begin(name string) (authURL, cookie string, err error) {
	p, err := ps.get(name)
	if err != nil {
		return "", "", err
	}
	state, _ := NewToken()
	sess, err := p.goth.BeginAuth(state)
	if err != nil {
		return "", "", fmt.Errorf("begin sign-in with %s: %w", p.Name, err)
	}
	authURL, err = sess.GetAuthURL()
	if err != nil {
		return "", "", fmt.Errorf("begin sign-in with %s: %w", p.Name, err)
	}
	f := flow{Provider: p.Name, State: state, Session: sess.Marshal(), Expires: ps.Now().Add(flowTTL).Unix()}
	if p.pkce {
		f.Verifier, _ = NewToken()
		u, err := url.Parse(authURL)
		if err != nil {
			return "", "", err
		}
		q := u.Query()
		sum := sha256.Sum256([]byte(f.Verifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
		u.RawQuery = q.Encode()
		authURL = u.String()
	}
	b, _ := json.Marshal(f)
	data := base64.RawURLEncoding.EncodeToString(b)
	return authURL, data + "." + sign(ps.secret, data), nil
}

// ExternalUser is who the provider says signed in.
type ExternalUser struct {
	Provider string
	Subject  string // the provider's stable id for the account
	Email    string
	Name     string
}

// Complete finishes a sign-in at the provider's callback: it checks the flow cookie and
// the state, exchanges the code and fetches the user.
func (ps *Providers) Complete(name, cookie string, query url.Values) (*ExternalUser, error) {
	p, err := ps.get(name)
	if err != nil {
		return nil, err
	}
	if e := query.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, ErrCancelled
		}
		return nil, fmt.Errorf("the provider reported %q", truncate(e, 60))
	}
	data, mac, ok := strings.Cut(cookie, ".")
	if !ok || !verify(ps.secret, data, mac) {
		return nil, ErrFlowMissing
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil {
		return nil, ErrFlowMissing
	}
	var f flow
	if err := json.Unmarshal(raw, &f); err != nil || f.Provider != p.Name || ps.Now().Unix() > f.Expires {
		return nil, ErrFlowMissing
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(f.State)) != 1 {
		return nil, ErrStateMismatch
	}
	sess, err := p.goth.UnmarshalSession(f.Session)
	if err != nil {
		return nil, ErrFlowMissing
	}
	params := url.Values{"code": {query.Get("code")}}
	if f.Verifier != "" {
		params.Set("code_verifier", f.Verifier)
	}
	if _, err := sess.Authorize(p.goth, params); err != nil {
		return nil, fmt.Errorf("exchange the code with %s: %s", p.Name, oneLine(err))
	}
	gu, err := p.goth.FetchUser(sess)
	if err != nil {
		return nil, fmt.Errorf("fetch the account from %s: %s", p.Name, oneLine(err))
	}
	if gu.UserID == "" {
		return nil, fmt.Errorf("%s returned no account id", p.Name)
	}
	display := gu.Name
	if display == "" {
		display = strings.TrimSpace(gu.FirstName + " " + gu.LastName)
	}
	return &ExternalUser{Provider: p.Name, Subject: gu.UserID, Email: gu.Email, Name: display}, nil
}

func oneLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return truncate(msg, 200)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
