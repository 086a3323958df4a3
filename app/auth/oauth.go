package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"forum/app/config"
	"forum/app/store"
)

// FlowCookie begins the name of the cookies that carry sign-in attempts from their start
// to the provider's callback: one cookie per attempt, named after the start of its state,
// so that sign-ins started in two tabs of one browser both work.
const FlowCookie = "forum_oauth_"

// flowTTL bounds how long a person may take at the provider's sign-in page.
const flowTTL = 10 * time.Minute

// stateKeyLen is how much of the state names its flow cookie.
const stateKeyLen = 16

// httpTimeout bounds every request to a provider.
const httpTimeout = 15 * time.Second

// Issuers of the providers whose issuer is fixed. Identities are keyed by issuer and subject.
const (
	IssuerGitHub = "https://github.com"
	IssuerGoogle = "https://accounts.google.com"
	IssuerDev    = "dev" // the development sign-in
)

// Errors of a sign-in attempt, each shown to the person with its own explanation.
var (
	ErrUnknownProvider = errors.New("unknown sign-in provider")
	ErrFlowMissing     = errors.New("the sign-in attempt expired or was already used")
	ErrStateMismatch   = errors.New("the sign-in answer does not match the attempt")
	ErrCancelled       = errors.New("sign-in was cancelled at the provider")
	// ErrCodeRejected: the provider did not accept the code the browser brought back
	// (forged, used or expired). It is the request's problem, not the forum's.
	ErrCodeRejected = errors.New("the provider did not accept the sign-in code")
	// ErrAnswerRefused: the provider's answer failed verification (an ID token with a bad
	// signature, issuer, audience, expiry or nonce) or was malformed.
	ErrAnswerRefused = errors.New("the provider's answer was refused")
	// ErrProviderUnreachable: the provider could not be reached or failed on its side.
	ErrProviderUnreachable = errors.New("the sign-in provider could not be reached")
)

// Provider is one configured way to sign in.
type Provider struct {
	Name   string // in URLs: /auth/{Name}
	Label  string // on the button
	Issuer string // identities are keyed by issuer and subject

	oauth  oauth2.Config
	client *http.Client
	pkce   bool
	// verifier checks the ID token of an OpenID Connect provider; nil for GitHub, which
	// speaks plain OAuth and is asked for the account through its API.
	verifier    *oidc.IDTokenVerifier
	userinfoURL string // OpenID Connect userinfo; "" when the provider has none
	githubAPI   string
}

// Providers holds the configured sign-in providers. Every attempt gets a fresh random
// state, PKCE verifier and (OpenID Connect) nonce, kept in a short-lived cookie signed with
// the session secret; the callback must present the same state, which works once (used
// states are remembered in the database, shared by every node).
type Providers struct {
	list   []*Provider
	secret []byte
	store  *store.Store
	Now    func() time.Time
}

// NewProviders builds the providers enabled in cfg. An OpenID Connect provider reads its
// discovery document now, so that a wrong URL stops the start; identities that the
// migration to issuer keys could not place are then claimed for its issuer.
func NewProviders(ctx context.Context, cfg *config.Config, st *store.Store) (*Providers, error) {
	ps := &Providers{secret: cfg.SessionSecret, store: st, Now: time.Now}
	client := &http.Client{Timeout: httpTimeout}
	callback := func(name string) string { return cfg.BaseURL.String() + "/auth/" + name + "/callback" }
	o := cfg.OAuth
	if o.GitHubClientID != "" {
		ps.list = append(ps.list, &Provider{Name: "github", Label: "GitHub", Issuer: IssuerGitHub, client: client, pkce: true,
			githubAPI: "https://api.github.com",
			oauth: oauth2.Config{ClientID: o.GitHubClientID, ClientSecret: o.GitHubClientSecret, RedirectURL: callback("github"),
				Endpoint: oauth2.Endpoint{AuthURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token"},
				Scopes:   []string{"read:user", "user:email"}}})
	}
	if o.GoogleClientID != "" {
		// Google's endpoints are fixed: no discovery, so no request to Google at start.
		gp := (&oidc.ProviderConfig{
			IssuerURL: IssuerGoogle, AuthURL: "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL: "https://oauth2.googleapis.com/token", UserInfoURL: "https://openidconnect.googleapis.com/v1/userinfo",
			JWKSURL: "https://www.googleapis.com/oauth2/v3/certs", Algorithms: []string{oidc.RS256},
		}).NewProvider(oidc.ClientContext(ctx, client))
		ps.list = append(ps.list, openIDProvider("google", "Google", IssuerGoogle, gp, client, o.GoogleClientID, o.GoogleClientSecret, callback("google")))
	}
	if o.OIDCClientID != "" {
		issuer := strings.TrimSuffix(o.OIDCDiscoveryURL, "/.well-known/openid-configuration")
		dctx, cancel := context.WithTimeout(ctx, httpTimeout)
		defer cancel()
		// go-oidc checks that the document names this issuer. Some providers' issuers end
		// in a slash (the discovery URL is the same either way): then try that one.
		gp, err := oidc.NewProvider(oidc.ClientContext(dctx, client), issuer)
		if err != nil && !strings.HasSuffix(issuer, "/") {
			if slashed, err2 := oidc.NewProvider(oidc.ClientContext(dctx, client), issuer+"/"); err2 == nil {
				gp, issuer, err = slashed, issuer+"/", nil
			}
		}
		if err != nil {
			return nil, &config.Error{Var: "FORUM_OIDC_DISCOVERY_URL", Msg: "cannot read the discovery document: " + oneLine(err)}
		}
		p := openIDProvider("oidc", o.OIDCName, issuer, gp, client, o.OIDCClientID, o.OIDCClientSecret, callback("oidc"))
		ps.list = append(ps.list, p)
		if st != nil {
			claim := func(tx *store.Tx) error {
				_, err := tx.ClaimLegacyIdentities(ctx, p.Name, p.Issuer)
				return err
			}
			if err := st.Tx(ctx, claim); err != nil {
				return nil, err
			}
		}
	}
	return ps, nil
}

// openIDProvider is an OpenID Connect provider: its ID tokens are verified against the keys
// it publishes, for this client, and every request sends PKCE and a nonce.
func openIDProvider(name, label, issuer string, gp *oidc.Provider, client *http.Client, id, secret, callback string) *Provider {
	return &Provider{Name: name, Label: label, Issuer: issuer, client: client, pkce: true,
		userinfoURL: gp.UserInfoEndpoint(),
		// The keys are fetched (and fetched again for an unknown key id) with client.
		verifier: gp.Verifier(&oidc.Config{ClientID: id}),
		oauth: oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Endpoint: gp.Endpoint(),
			// "openid" comes first: some providers require it there.
			Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}}
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

// flow is the signed content of a flow cookie.
type flow struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Verifier string `json:"v,omitempty"`
	Nonce    string `json:"n,omitempty"`
	Next     string `json:"r,omitempty"` // the local path to return to
	Expires  int64  `json:"e"`
}

// FlowCookieName returns the name of the cookie of the attempt with state, or "" when
// state cannot be one of the forum's.
func FlowCookieName(state string) string {
	if len(state) < stateKeyLen || len(state) > 100 {
		return ""
	}
	key := state[:stateKeyLen]
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return FlowCookie + key
}

// Start is a sign-in begun: the provider's URL to send the browser to, and the flow
// cookie to set.
type Start struct {
	URL         string
	CookieName  string
	CookieValue string
}

// Begin starts a sign-in with a provider; next is the local path to return to afterwards
// (already checked to be local, or empty).
func (ps *Providers) Begin(name, next string) (*Start, error) {
	p, err := ps.get(name)
	if err != nil {
		return nil, err
	}
	state, _ := NewToken()
	f := flow{Provider: p.Name, State: state, Next: next, Expires: ps.Now().Add(flowTTL).Unix()}
	var opts []oauth2.AuthCodeOption
	if p.pkce {
		f.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(f.Verifier))
	}
	if p.verifier != nil {
		f.Nonce, _ = NewToken()
		opts = append(opts, oidc.Nonce(f.Nonce))
	}
	b, _ := json.Marshal(f)
	data := base64.RawURLEncoding.EncodeToString(b)
	return &Start{URL: p.oauth.AuthCodeURL(state, opts...), CookieName: FlowCookieName(state),
		CookieValue: data + "." + sign(ps.secret, data)}, nil
}

// ExternalUser is who the provider says signed in.
type ExternalUser struct {
	Provider string
	Issuer   string
	Subject  string // the provider's stable id for the account, unique at Issuer
	Email    string
	Name     string
}

// Complete finishes a sign-in at the provider's callback: it finds the attempt's flow
// cookie among cookies, checks the state (once), exchanges the code with the PKCE
// verifier and learns who signed in: from the verified ID token and userinfo, or from
// GitHub's API. It returns the person and the local path to return to.
//
// Errors after the state check wrap ErrCodeRejected, ErrAnswerRefused or
// ErrProviderUnreachable, with a reason that names no one; any other error is the forum's.
func (ps *Providers) Complete(ctx context.Context, name string, cookies []*http.Cookie, query url.Values) (*ExternalUser, string, error) {
	p, err := ps.get(name)
	if err != nil {
		return nil, "", err
	}
	if e := query.Get("error"); e != "" {
		switch e {
		case "access_denied":
			return nil, "", ErrCancelled
		case "server_error", "temporarily_unavailable":
			return nil, "", fmt.Errorf("%w: the provider reported %q", ErrProviderUnreachable, e)
		}
		return nil, "", fmt.Errorf("%w: the provider reported %q", ErrAnswerRefused, truncate(e, 60))
	}
	f, err := ps.flowFor(p, cookies, query.Get("state"))
	if err != nil {
		return nil, "", err
	}
	if ps.store == nil {
		return nil, "", errors.New("complete a sign-in: no database to remember used states in")
	}
	var fresh bool
	err = ps.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		fresh, err = tx.UseSignInState(ctx, HashToken(f.State), time.Unix(f.Expires, 0).UTC(), ps.Now().UTC())
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if !fresh {
		return nil, "", ErrFlowMissing
	}
	code := query.Get("code")
	if code == "" {
		return nil, "", fmt.Errorf("%w: the answer has no code", ErrCodeRejected)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 2*httpTimeout)
	defer cancel()
	var opts []oauth2.AuthCodeOption
	if f.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(f.Verifier))
	}
	tok, err := p.oauth.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, "", exchangeError(err)
	}
	var u *ExternalUser
	if p.verifier != nil {
		u, err = p.openIDUser(ctx, tok, f.Nonce)
	} else {
		u, err = p.githubUser(ctx, tok)
	}
	if err != nil {
		return nil, "", err
	}
	u.Provider, u.Issuer = p.Name, p.Issuer
	return u, f.Next, nil
}

// flowFor returns the attempt whose state the callback carries, checked.
func (ps *Providers) flowFor(p *Provider, cookies []*http.Cookie, state string) (*flow, error) {
	name := FlowCookieName(state)
	cookie, others := "", false
	for _, ck := range cookies {
		switch {
		case name != "" && ck.Name == name:
			cookie = ck.Value
		case strings.HasPrefix(ck.Name, FlowCookie):
			others = true
		}
	}
	if cookie == "" {
		if others {
			// This browser has attempts under way, none of them with this state.
			return nil, ErrStateMismatch
		}
		return nil, ErrFlowMissing
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
	if subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 {
		return nil, ErrStateMismatch
	}
	return &f, nil
}

// openIDUser verifies the ID token of a token answer and reads the account from it and
// from userinfo, which must speak of the same subject.
func (p *Provider) openIDUser(ctx context.Context, tok *oauth2.Token, nonce string) (*ExternalUser, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refused("the token answer has no ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "get keys failed") {
			return nil, fmt.Errorf("%w: cannot fetch the provider's keys", ErrProviderUnreachable)
		}
		return nil, refused("ID token: " + oneLine(err))
	}
	if idt.Subject == "" {
		return nil, refused("the ID token has no subject")
	}
	var claims struct {
		AZP        string `json:"azp"`
		Email      string `json:"email"`
		Name       string `json:"name"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, refused("the ID token's claims are malformed")
	}
	// With several audiences, the token must say it was issued to this client (OpenID
	// Connect Core 3.1.3.7); an azp naming another client is refused in any case.
	if (len(idt.Audience) > 1 || claims.AZP != "") && claims.AZP != p.oauth.ClientID {
		return nil, refused("the ID token was issued to another client (azp)")
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, refused("the ID token's nonce is not this attempt's")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, refused("the access token does not match the ID token's at_hash")
		}
	}
	u := &ExternalUser{Subject: idt.Subject, Email: claims.Email, Name: displayName(claims.Name, claims.GivenName, claims.FamilyName)}
	if p.userinfoURL == "" {
		return u, nil
	}
	var info struct {
		Subject    string `json:"sub"`
		Email      string `json:"email"`
		Name       string `json:"name"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
	}
	if err := p.getJSON(ctx, p.userinfoURL, tok.AccessToken, &info); err != nil {
		return nil, fmt.Errorf("%w (userinfo)", err)
	}
	// Userinfo must be about the person of the ID token (OpenID Connect Core 5.3.2).
	if info.Subject != idt.Subject {
		return nil, refused("userinfo speaks of another subject, or of none")
	}
	if info.Email != "" {
		u.Email = info.Email
	}
	if n := displayName(info.Name, info.GivenName, info.FamilyName); n != "" {
		u.Name = n
	}
	return u, nil
}

// githubUser asks GitHub's API who holds the access token.
func (p *Provider) githubUser(ctx context.Context, tok *oauth2.Token) (*ExternalUser, error) {
	var gu struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if err := p.getJSON(ctx, p.githubAPI+"/user", tok.AccessToken, &gu); err != nil {
		return nil, fmt.Errorf("%w (GitHub user)", err)
	}
	if gu.ID == 0 {
		return nil, refused("GitHub returned no account id")
	}
	u := &ExternalUser{Subject: fmt.Sprint(gu.ID), Email: gu.Email, Name: displayName(gu.Name, gu.Login, "")}
	if u.Email == "" {
		// A private address is listed only here; take the primary one, if verified.
		var emails []struct {
			Email    string `json:"email"`
			Primary  bool   `json:"primary"`
			Verified bool   `json:"verified"`
		}
		if err := p.getJSON(ctx, p.githubAPI+"/user/emails", tok.AccessToken, &emails); err == nil {
			for _, e := range emails {
				if e.Primary && e.Verified {
					u.Email = e.Email
				}
			}
		}
	}
	return u, nil
}

// getJSON fetches a provider's JSON answer with the access token. Its errors wrap
// ErrProviderUnreachable or ErrAnswerRefused and never carry the answer's body.
func (p *Provider) getJSON(ctx context.Context, endpoint, accessToken string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return fmt.Errorf("%w: bad endpoint", ErrAnswerRefused)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrProviderUnreachable, transportReason(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("%w: answered %d", ErrProviderUnreachable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: answered %d", ErrAnswerRefused, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("%w: the answer is not the JSON expected", ErrAnswerRefused)
	}
	return nil
}

// exchangeError sorts a failed code exchange: the provider refusing the code, the provider
// failing or out of reach, or an answer that makes no sense.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500:
		return fmt.Errorf("%w: the token endpoint answered %d", ErrProviderUnreachable, re.Response.StatusCode)
	case errors.As(err, &re):
		return fmt.Errorf("%w: the token endpoint said %q", ErrCodeRejected, truncate(re.ErrorCode, 60))
	case isTransport(err):
		return fmt.Errorf("%w: %s", ErrProviderUnreachable, transportReason(err))
	}
	return refused("the token endpoint's answer is malformed")
}

func refused(reason string) error { return fmt.Errorf("%w: %s", ErrAnswerRefused, reason) }

func isTransport(err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// transportReason says why a request failed without the URL (which may carry a query).
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return oneLine(err)
}

func displayName(name, given, family string) string {
	if name = strings.TrimSpace(name); name != "" {
		return name
	}
	return strings.TrimSpace(given + " " + family)
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
