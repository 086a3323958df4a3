package views_test

import (
	"html/template"
	"testing"
	"testing/fstest"

	"forum/views"
)

func funcs() template.FuncMap {
	return template.FuncMap{"asset": func(string) string { return "" }}
}

func TestBrokenTemplateFailsTheStart(t *testing.T) {
	base := `{{define "base"}}<html>{{template "content" .}}</html>{{end}}`
	cases := map[string]fstest.MapFS{
		"syntax error": {
			"layouts/base.html":  {Data: []byte(base)},
			"partials/none.html": {Data: []byte(``)},
			"pages/home.html":    {Data: []byte(`{{define "title"}}x{{end}}{{define "content"}}{{if}}{{end}}`)},
		},
		"missing content block": {
			"layouts/base.html":  {Data: []byte(base)},
			"partials/none.html": {Data: []byte(``)},
			"pages/home.html":    {Data: []byte(`{{define "title"}}x{{end}}`)},
		},
		"escaping error": {
			"layouts/base.html":  {Data: []byte(base)},
			"partials/none.html": {Data: []byte(``)},
			"pages/home.html":    {Data: []byte(`{{define "title"}}x{{end}}{{define "content"}}<a href="{{if .}}x{{else}}"y{{end}}">z</a>{{end}}`)},
		},
	}
	for name, fsys := range cases {
		if _, err := views.Parse(fsys, funcs()); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
}

func TestEmbeddedTemplatesParse(t *testing.T) {
	set, err := views.Parse(views.FS(), template.FuncMap{
		"asset": func(string) string { return "" }, "ago": func(any) string { return "" }, "iso": func(any) string { return "" },
		"longdate": func(any) string { return "" }, "monthyear": func(any) string { return "" }, "canApproveMembers": func(any) bool { return false },
		"canManageRoles": func(any) bool { return false }, "canReadMembersOnly": func(any) bool { return false }, "canSeeUnansweredQueue": func(any) bool { return false },
		"canAsk": func(any) bool { return false }, "canReviewPosts": func(any) bool { return false }, "discreetTitle": func(any) bool { return false },
		"quickExitURL": func() string { return "" },
		"roleLabel":    func(any) string { return "" }, "browserName": func(string) string { return "" },
		"canReadNotices": func(any) bool { return false }, "noticesBadge": func(int, bool) template.HTML { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"home", "thread", "ask", "login", "account", "error", "notifications", "following"} {
		if _, ok := set.Page(page); !ok {
			t.Errorf("page %s missing", page)
		}
	}
}
