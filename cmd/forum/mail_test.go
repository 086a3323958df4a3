package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveFor starts serve with vars and args, and returns its address, its log and a stop
// function that waits for it.
func serveFor(t *testing.T, vars map[string]string, args ...string) (addr string, log *lockedBuffer, stop func()) {
	t.Helper()
	log = &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, args, envOf(vars), io.Discard, log, ready) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve after stop: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	return addr, log, stop
}

// In production without an SMTP server, the start says in one line that e-mail is off,
// and the development mailbox does not exist. In development without one, the mailbox is
// at /dev/mail. A broken SMTP setting stops the start with one clear line, without the
// password.
func TestServeEmailSettings(t *testing.T) {
	vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_ADDR": "127.0.0.1:0"}
	addr, log, stop := serveFor(t, vars)
	resp, err := http.Get("http://" + addr + "/dev/mail")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stop()
	if n := strings.Count(log.String(), "e-mail is off"); n != 1 {
		t.Fatalf("%d lines say e-mail is off, want 1:\n%s", n, log.String())
	}
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/dev/mail in production = %d, want 404", resp.StatusCode)
	}

	addr, log, stop = serveFor(t, vars, "--dev")
	resp, err = http.Get("http://" + addr + "/dev/mail")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stop()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Development mailbox") {
		t.Fatalf("/dev/mail in development = %d", resp.StatusCode)
	}
	if strings.Contains(log.String(), "e-mail is off") || !strings.Contains(log.String(), "development mailbox") {
		t.Fatalf("development start log:\n%s", log.String())
	}

	vars["FORUM_SMTP_URL"] = "smtp://forum:hunter2@mail.example.org:587"
	code, _, stderr := runCmd(t, vars, "serve")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "FORUM_MAIL_FROM") || strings.Contains(stderr, "hunter2") {
		t.Fatalf("SMTP without a sender: exit %d, %q", code, stderr)
	}
}
