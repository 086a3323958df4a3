// Package views holds the forum's HTML templates: layouts, pages and partials.
//
// Every page is parsed at start together with the layouts and partials, so a broken
// template stops the start instead of failing a visitor's request later.
package views

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
)

//go:embed layouts/*.html pages/*.html partials/*.html
var files embed.FS

// FS returns the embedded templates.
func FS() fs.FS { return files }

// Set is the parsed templates, one per page.
type Set struct {
	pages map[string]*template.Template
}

// Parse parses every page of fsys with the layouts, partials and funcs.
func Parse(fsys fs.FS, funcs template.FuncMap) (*Set, error) {
	base := template.New("").Funcs(funcs)
	for _, pattern := range []string{"layouts/*.html", "partials/*.html"} {
		var err error
		if base, err = base.ParseFS(fsys, pattern); err != nil {
			return nil, fmt.Errorf("parse %s: %w", pattern, err)
		}
	}
	names, err := fs.Glob(fsys, "pages/*.html")
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}}
	for _, name := range names {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		page := strings.TrimSuffix(path.Base(name), ".html")
		for _, block := range []string{"title", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("page %s defines no %q block", name, block)
			}
		}
		// html/template escapes a template when it first runs: run it once now, so that
		// an escaping error stops the start. Errors from the missing data are expected.
		if err := t.ExecuteTemplate(io.Discard, "base", nil); err != nil {
			var te *template.Error
			if errors.As(err, &te) {
				return nil, fmt.Errorf("page %s: %w", name, err)
			}
		}
		s.pages[page] = t
	}
	return s, nil
}

// Page returns the template of a page.
func (s *Set) Page(name string) (*template.Template, bool) {
	t, ok := s.pages[name]
	return t, ok
}
