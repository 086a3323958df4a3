// Package static holds the forum's CSS, scripts and vendored front-end files, embedded in
// the binary and served under fingerprinted URLs so that browsers may cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed css js vendor icons
var files embed.FS

// Assets maps file names to fingerprinted URL paths and back.
type Assets struct {
	FS     fs.FS
	byName map[string]string // "css/forum.css" -> "css/forum.1a2b3c4d5e.css"
	byHash map[string]string // the reverse
}

// Load fingerprints every embedded file.
func Load() (*Assets, error) { return LoadFS(files) }

// LoadFS fingerprints every file of fsys (development mode passes the folder on disk).
func LoadFS(fsys fs.FS) (*Assets, error) {
	a := &Assets{FS: fsys, byName: map[string]string{}, byHash: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[name] = hashed
		a.byHash[hashed] = name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fingerprint static files: %w", err)
	}
	return a, nil
}

// Path returns the fingerprinted path of a file, relative to the static prefix.
// An unknown name is an error, so a broken reference fails the template at start.
func (a *Assets) Path(name string) (string, error) {
	p, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return p, nil
}

// Resolve maps a requested path to the file name. fresh reports whether the request
// carried the current fingerprint (and so may be cached for good).
func (a *Assets) Resolve(requested string) (name string, fresh bool, ok bool) {
	if n, ok := a.byHash[requested]; ok {
		return n, true, true
	}
	// An old fingerprint (a page cached from before a deploy) gets the current file, uncached.
	ext := path.Ext(requested)
	base := strings.TrimSuffix(requested, ext)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		if _, ok := a.byName[base[:i]+ext]; ok {
			return base[:i] + ext, false, true
		}
	}
	if _, ok := a.byName[requested]; ok {
		return requested, false, true
	}
	return "", false, false
}
