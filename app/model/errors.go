package model

import (
	"errors"
	"sort"
	"strings"
)

// Domain errors. The web layer maps them to HTTP statuses in one place.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("not allowed")
	ErrConflict  = errors.New("already exists")
)

// InvalidError reports input that breaks a rule, with a message per form field.
type InvalidError struct {
	Fields map[string]string
}

// Invalid returns an InvalidError with one field message.
func Invalid(field, msg string) *InvalidError {
	return &InvalidError{Fields: map[string]string{field: msg}}
}

// Add records a message for field, keeping the first message of each field.
func (e *InvalidError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// Err returns e when it holds a message, nil otherwise.
func (e *InvalidError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *InvalidError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}
