package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"forum/app/auth"
	"forum/app/model"
)

// client is a browser for tests: it keeps cookies and the page's CSRF token, and talks to
// the real handler in memory.
type client struct {
	e       *env
	cookies map[string]string
	csrf    string
}

// as returns a client signed in as u (nil: a visitor), with a real database session.
func (e *env) as(u *model.User) *client {
	c := &client{e: e, cookies: map[string]string{}}
	if u != nil {
		token, _, err := auth.NewSessions(e.st).Create(context.Background(), u.ID, "test", "127.0.0.1")
		if err != nil {
			e.t.Fatal(err)
		}
		c.cookies[auth.CookieName] = token
	}
	return c
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func (c *client) do(method, path string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	c.e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	rec := httptest.NewRecorder()
	c.e.srv.Handler().ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	if m := csrfMeta.FindStringSubmatch(rec.Body.String()); m != nil {
		c.csrf = m[1]
	}
	return rec
}

func (c *client) get(path string, headers ...string) *httptest.ResponseRecorder {
	c.e.t.Helper()
	return c.do(http.MethodGet, path, nil, headers...)
}

// post submits a form with the CSRF token of the last page (fetching one first if needed).
func (c *client) post(path string, form url.Values, headers ...string) *httptest.ResponseRecorder {
	c.e.t.Helper()
	if c.csrf == "" {
		c.get("/crisis")
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.csrf)
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()), headers...)
}

// postWithoutCSRF submits a form without any token.
func (c *client) postWithoutCSRF(path string, form url.Values) *httptest.ResponseRecorder {
	c.e.t.Helper()
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()))
}
