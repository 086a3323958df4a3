package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestSessionsRevokedOnAnotherNode: on PostgreSQL a session revoked on another node, or the
// account suspended there, stops signing its browser in on this node as soon as this node
// hears of it, not when the session it remembers expires (its clock is stopped here, so
// only the other node's announcement can end it).
func TestSessionsRevokedOnAnotherNode(t *testing.T) {
	st := storetest.Open(t, config.DriverPostgres)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{}, 1)
	done := make(chan struct{})
	l := store.Listeners{Changed: func() {
		select {
		case listening <- struct{}{}:
		default:
		}
	}}
	st.Hear(ctx, l)
	go func() {
		defer close(done)
		st.ListenOtherNodes(ctx, l)
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not connect within 10 s")
	}
	other := storetest.OtherNode(st)
	now := time.Now().UTC()
	newMember := func(key string) *model.User {
		u := &model.User{DemoKey: &key, Pseudonym: key, Email: key + "@example.invalid", Role: model.RoleMember,
			Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	here := NewSessions(st)
	frozen := time.Now().UTC()
	here.Now = func() time.Time { return frozen }
	signedIn := func(u *model.User) string {
		t.Helper()
		token, _, err := NewSessions(other).Create(ctx, u.ID, "test", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := here.Lookup(ctx, token); err != nil { // remembered here
			t.Fatal(err)
		}
		return token
	}
	endsHere := func(what, token string) {
		t.Helper()
		for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
			if _, _, err := here.Lookup(ctx, token); errors.Is(err, ErrNoSession) {
				return
			} else if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s on another node: the session still signs in here", what)
			}
		}
	}

	revoked := newMember("revoked")
	token := signedIn(revoked)
	if err := other.Tx(ctx, func(tx *store.Tx) error { return tx.RevokeSessions(ctx, revoked.ID, time.Now().UTC()) }); err != nil {
		t.Fatal(err)
	}
	endsHere("every session revoked", token)

	suspended := newMember("suspended")
	token = signedIn(suspended)
	suspended.Status = model.StatusSuspended
	if err := other.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, suspended, "status") }); err != nil {
		t.Fatal(err)
	}
	endsHere("the account suspended", token)
}
