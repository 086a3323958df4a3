package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/store/storetest"
)

// TestStartTogetherOnANewDatabase starts several `migrate` and several `serve` at once on
// one new, empty database, each with its own connections (and each server with a data
// folder of its own, for its search index): the migrations take turns, and every one of
// them succeeds.
func TestStartTogetherOnANewDatabase(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "forum.db")
			if driver == config.DriverPostgres {
				_, db, _ = storetest.DSN(t, driver)
			}
			const migrates, serves = 6, 3
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan string, migrates+serves)
			for i := range migrates + serves {
				vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_DATABASE_URL": db, "FORUM_ADDR": "127.0.0.1:0"}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var out, stderr bytes.Buffer
					if i < migrates {
						if code := run(ctx, []string{"migrate"}, envOf(vars), &out, &stderr); code != 0 {
							errs <- "migrate: " + stderr.String()
						}
						return
					}
					ready := make(chan string, 1)
					done := make(chan error, 1)
					go func() { done <- serve(ctx, nil, envOf(vars), io.Discard, &stderr, ready) }()
					select {
					case <-ready:
					case err := <-done:
						errs <- "serve: " + err.Error()
					case <-time.After(60 * time.Second):
						errs <- "serve did not start within 60 s"
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			var failed []string
			for e := range errs {
				failed = append(failed, strings.TrimSpace(e))
			}
			if len(failed) > 0 {
				t.Fatalf("%d of %d processes failed:\n%s", len(failed), migrates+serves, strings.Join(failed, "\n"))
			}
			// The database is migrated once, whole.
			vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_DATABASE_URL": db}
			if code, out, stderr := runCmd(t, vars, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("migrate afterwards: exit %d, %q %q", code, out, stderr)
			}
		})
	}
}
