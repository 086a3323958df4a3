package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// testOP is an independent OpenID Provider for sign-in tests: zitadel/oidc's op package,
// which implements discovery, authorization with PKCE, the token endpoint, signed ID
// tokens, the published keys and userinfo. The forum's code shares nothing with it.
// Hooks change its answers the way a hostile or broken provider would.
type testOP struct {
	t        *testing.T
	Issuer   string
	ClientID string
	Secret   string
	srv      *httptest.Server
	storage  *opStorage

	mu sync.Mutex
	// tamper, when set, rewrites the ID token of every token response.
	tamper func(t *testing.T, op *testOP, idToken string) string
	// userinfo, when set, rewrites every userinfo answer.
	userinfo func(claims map[string]any)
	// tokenRequests counts the requests to the token endpoint.
	tokenRequests int
}

// opUser is an account at the test provider. An empty Email is an account without one.
type opUser struct {
	Subject, Email, Name string
}

// newTestOP starts a provider for the forum client redirecting to redirectURI.
func newTestOP(t *testing.T, redirectURI string) *testOP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o := &testOP{t: t, Issuer: issuer, ClientID: "forum-client", Secret: "forum-client-secret"}
	o.storage = &opStorage{
		key: key, keyID: "op-key-1",
		client:   &opClient{id: o.ClientID, secret: o.Secret, redirect: redirectURI},
		requests: map[string]*opAuthRequest{}, codes: map[string]string{}, tokens: map[string]*opToken{},
		users: map[string]*opUser{},
	}
	cryptoKey := sha256.Sum256([]byte("test-op-crypto-key"))
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, CryptoKeyId: "c1", CodeMethodS256: true, AuthMethodPost: true},
		o.storage, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("start the OpenID Provider: %v", err)
	}
	mux := http.NewServeMux()
	// The login page of the provider: whoever the test chose signs in at once.
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		if err := o.storage.finishLogin(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
	})
	mux.Handle("/", o.hooks(provider))
	o.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	o.srv.Start()
	t.Cleanup(o.srv.Close)
	return o
}

// DiscoveryURL is the provider's discovery document.
func (o *testOP) DiscoveryURL() string { return o.Issuer + "/.well-known/openid-configuration" }

// SignInAs makes the next sign-in at the provider be u.
func (o *testOP) SignInAs(u opUser) {
	o.storage.mu.Lock()
	defer o.storage.mu.Unlock()
	cp := u
	o.storage.users[u.Subject] = &cp
	o.storage.next = u.Subject
}

// Tamper sets how the ID token of every token response is rewritten (nil: not at all).
func (o *testOP) Tamper(f func(t *testing.T, op *testOP, idToken string) string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tamper = f
}

// Userinfo sets how every userinfo answer is rewritten (nil: not at all).
func (o *testOP) Userinfo(f func(claims map[string]any)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.userinfo = f
}

// TokenRequests is how many times the token endpoint was asked.
func (o *testOP) TokenRequests() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tokenRequests
}

// hooks wraps the provider's token and userinfo endpoints with the test's rewrites.
func (o *testOP) hooks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		tamper, userinfo := o.tamper, o.userinfo
		if r.URL.Path == "/oauth/token" {
			o.tokenRequests++
		}
		o.mu.Unlock()
		var rewrite func(body map[string]any)
		switch {
		case r.URL.Path == "/oauth/token" && tamper != nil:
			rewrite = func(body map[string]any) {
				if tok, ok := body["id_token"].(string); ok {
					body["id_token"] = tamper(o.t, o, tok)
				}
			}
		case r.URL.Path == "/userinfo" && userinfo != nil:
			rewrite = userinfo
		}
		if rewrite == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		rewrite(body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(body)
	})
}

// Claims decodes the payload of a compact JWT.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// signJWT signs claims with key under key id kid, as RS256.
func signJWT(t *testing.T, claims map[string]any, key *rsa.PrivateKey, kid string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	sig, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Resign returns the token with its claims changed by edit, signed with the provider's
// own key: a token whose signature is valid and whose claims are wrong.
func (o *testOP) Resign(t *testing.T, token string, edit func(claims map[string]any)) string {
	claims := jwtClaims(t, token)
	edit(claims)
	return signJWT(t, claims, o.storage.key, o.storage.keyID)
}

// opStorage is the provider's in-memory storage: one client, a few accounts.
type opStorage struct {
	mu       sync.Mutex
	key      *rsa.PrivateKey
	keyID    string
	client   *opClient
	requests map[string]*opAuthRequest
	codes    map[string]string // code -> request id
	tokens   map[string]*opToken
	users    map[string]*opUser
	next     string // the subject of the next sign-in
	counter  int
}

type opToken struct {
	subject, clientID string
	scopes            []string
	expires           time.Time
}

func (s *opStorage) newID(prefix string) string {
	s.counter++
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func (s *opStorage) finishLogin(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return errors.New("no such authorization request")
	}
	if s.next == "" {
		return errors.New("the test chose nobody to sign in")
	}
	req.subject, req.done, req.authTime = s.next, true, time.Now()
	return nil
}

func (s *opStorage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := &opAuthRequest{id: s.newID("req-"), clientID: r.ClientID, redirectURI: r.RedirectURI, state: r.State,
		nonce: r.Nonce, scopes: r.Scopes, responseType: r.ResponseType, responseMode: r.ResponseMode}
	if r.CodeChallenge != "" {
		req.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.requests[req.id] = req
	return req, nil
}

func (s *opStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return nil, errors.New("authorization request not found")
}

func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *opStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs once the code was exchanged: codes are single-use.
func (s *opStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *opStorage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clientID := s.client.id
	id := s.newID("at-")
	s.tokens[id] = &opToken{subject: r.GetSubject(), clientID: clientID, scopes: r.GetScopes(), expires: time.Now().Add(5 * time.Minute)}
	return id, s.tokens[id].expires, nil
}

func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens are not offered")
}

func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errors.New("refresh tokens are not offered")
}

func (s *opStorage) TerminateSession(context.Context, string, string) error { return nil }

func (s *opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return opKey{id: s.keyID, key: s.key}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{opKey{id: s.keyID, key: s.key, public: true}}, nil
}

func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errors.New("client not found")
	}
	return s.client, nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || secret != s.client.secret {
		return errors.New("wrong client credentials")
	}
	return nil
}

func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims: the subject only, as the standard
// says when an access token is issued; e-mail and name come from userinfo.
func (s *opStorage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, _ []string) error {
	info.Subject = r.GetSubject()
	return nil
}

func (s *opStorage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[tokenID]
	if !ok || time.Now().After(tok.expires) {
		return errors.New("token invalid or expired")
	}
	info.Subject = tok.subject
	u := s.users[tok.subject]
	if u == nil {
		return nil
	}
	for _, sc := range tok.scopes {
		switch sc {
		case oidc.ScopeEmail:
			if u.Email != "" {
				info.Email, info.EmailVerified = u.Email, true
			}
		case oidc.ScopeProfile:
			info.Name = u.Name
		}
	}
	return nil
}

func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not offered")
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys")
}

func (s *opStorage) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return scopes, nil
}

func (s *opStorage) Health(context.Context) error { return nil }

type opKey struct {
	id     string
	key    *rsa.PrivateKey
	public bool
}

func (k opKey) ID() string                                  { return k.id }
func (k opKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k opKey) Use() string                                 { return "sig" }
func (k opKey) Key() any {
	if k.public {
		return &k.key.PublicKey
	}
	return k.key
}

type opAuthRequest struct {
	id, clientID, redirectURI, state, nonce, subject string
	scopes                                           []string
	responseType                                     oidc.ResponseType
	responseMode                                     oidc.ResponseMode
	challenge                                        *oidc.CodeChallenge
	done                                             bool
	authTime                                         time.Time
}

func (r *opAuthRequest) GetID() string                         { return r.id }
func (r *opAuthRequest) GetACR() string                        { return "" }
func (r *opAuthRequest) GetAMR() []string                      { return []string{"pwd"} }
func (r *opAuthRequest) GetAudience() []string                 { return []string{r.clientID} }
func (r *opAuthRequest) GetAuthTime() time.Time                { return r.authTime }
func (r *opAuthRequest) GetClientID() string                   { return r.clientID }
func (r *opAuthRequest) GetCodeChallenge() *oidc.CodeChallenge { return r.challenge }
func (r *opAuthRequest) GetNonce() string                      { return r.nonce }
func (r *opAuthRequest) GetRedirectURI() string                { return r.redirectURI }
func (r *opAuthRequest) GetResponseType() oidc.ResponseType    { return r.responseType }
func (r *opAuthRequest) GetResponseMode() oidc.ResponseMode    { return r.responseMode }
func (r *opAuthRequest) GetScopes() []string                   { return r.scopes }
func (r *opAuthRequest) GetState() string                      { return r.state }
func (r *opAuthRequest) GetSubject() string                    { return r.subject }
func (r *opAuthRequest) Done() bool                            { return r.done }

// opClient is the forum, registered at the provider as a confidential web client.
type opClient struct {
	id, secret, redirect string
}

func (c *opClient) GetID() string                       { return c.id }
func (c *opClient) RedirectURIs() []string              { return []string{c.redirect} }
func (c *opClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *opClient) LoginURL(id string) string           { return "/login?id=" + url.QueryEscape(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *opClient) IDTokenLifetime() time.Duration      { return 5 * time.Minute }
func (c *opClient) DevMode() bool                       { return true } // http:// redirect to the forum on loopback
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) IsScopeAllowed(string) bool           { return false }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
