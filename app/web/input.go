package web

import (
	"errors"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"forum/app/model"
)

// maxBodyBytes is maxBody in bytes: the most a multipart form may hold in memory.
const maxBodyBytes = 1 << 20

// cleanedFieldsKey holds, in the echo context, the form fields readForm had to clean.
const cleanedFieldsKey = "cleaned-fields"

// cleanedMessage tells a member why their text came back instead of being posted.
const cleanedMessage = "We took out invisible characters that cannot be saved (such as a NUL byte). " +
	"Check the text, then send it again."

// checkURL answers 400 to a path that holds a NUL byte or bytes that are not UTF-8: no
// page has such an address, and no database takes such text (it came back as a 500).
// In the query, which is text people type (a search), those bytes are taken out instead.
func checkURL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !storable(c.Request().URL.Path) {
			return echo.NewHTTPError(http.StatusBadRequest, "unreadable characters in the path")
		}
		// Echo keeps the parsed query for the request: what is cleaned here is what every
		// handler reads.
		cleanValues(c.QueryParams())
		return next(c)
	}
}

// readForm reads a request's form before anything uses it. Later reads (c.FormValue)
// ignore errors and would see an empty form: a body over the limit would then be
// "write a few words" instead of 413. So a body that cannot be read is answered here with
// what went wrong: 413 too large, 408 too slow, 400 malformed. It also takes out of every
// field the bytes no database takes (NUL, invalid UTF-8) and notes the fields it changed,
// so that a form can come back with the rest of the text and a message (see cleanedFields).
func readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		switch req.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return next(c)
		}
		if err := parseForm(req); err != nil {
			return bodyError(err)
		}
		if fields := cleanForm(req); len(fields) > 0 {
			c.Set(cleanedFieldsKey, fields)
		}
		return next(c)
	}
}

func parseForm(req *http.Request) error {
	if ct, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); ct == echo.MIMEMultipartForm {
		return req.ParseMultipartForm(maxBodyBytes)
	}
	// Other types than forms are not read; a malformed Content-Type is an error.
	return req.ParseForm()
}

// bodyError maps an error met reading a request body to its status.
func bodyError(err error) error {
	var he *echo.HTTPError
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &he): // echo's BodyLimit: 413
		return he
	case errors.As(err, &tooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge).WithInternal(err)
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		// The server's read timeout passed while the body was still arriving.
		return echo.NewHTTPError(http.StatusRequestTimeout).WithInternal(err)
	}
	// A malformed body, or one cut short by a client that went away.
	return echo.NewHTTPError(http.StatusBadRequest, "unreadable form").WithInternal(err)
}

// cleanForm takes NUL bytes and invalid UTF-8 out of every form value and returns the
// names of the fields it changed.
func cleanForm(req *http.Request) map[string]bool {
	changed := cleanValues(req.Form)
	for k := range cleanValues(req.PostForm) {
		changed = addField(changed, k)
	}
	if req.MultipartForm != nil {
		for k := range cleanValues(req.MultipartForm.Value) {
			changed = addField(changed, k)
		}
	}
	return changed
}

// cleanValues takes NUL bytes and invalid UTF-8 out of every value, in place, and returns
// the names of the fields it changed.
func cleanValues(values map[string][]string) map[string]bool {
	var changed map[string]bool
	for k, vs := range values {
		for i, v := range vs {
			if !storable(v) {
				vs[i] = strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", ""), "")
				changed = addField(changed, k)
			}
		}
	}
	return changed
}

func addField(set map[string]bool, k string) map[string]bool {
	if set == nil {
		set = map[string]bool{}
	}
	set[k] = true
	return set
}

// storable reports whether a database takes s as text: valid UTF-8 without NUL bytes.
func storable(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// cleanedFields returns, for those of fields that readForm had to clean, the message to
// show beside them; nil when it changed none of them.
func cleanedFields(c echo.Context, fields ...string) map[string]string {
	changed, _ := c.Get(cleanedFieldsKey).(map[string]bool)
	var out map[string]string
	for _, f := range fields {
		if changed[f] {
			if out == nil {
				out = map[string]string{}
			}
			out[f] = cleanedMessage
		}
	}
	return out
}

// shortPrefix cuts what someone typed to at most n characters and an ellipsis, for
// messages and titles that quote it.
func shortPrefix(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return firstRunes(s, n) + "…"
}

// firstRunes returns the first n characters of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// paramID reads the :id parameter of the path: a positive number. Anything else names
// nothing, and is answered like an id that does not exist (404).
func paramID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, model.ErrNotFound
	}
	return id, nil
}
