package store_test

import (
	"context"
	"testing"

	"forum/app/config"
	"forum/app/store/storetest"
)

// TestPostgresKeepsNoPreparedStatements: bun writes values into the text of each query, so
// a connection that kept every text it ran prepared would grow with every new value, on
// the client and in the server. Three hundred lookups leave nothing prepared.
func TestPostgresKeepsNoPreparedStatements(t *testing.T) {
	st := storetest.Open(t, config.DriverPostgres)
	storetest.SQL(st).SetMaxOpenConns(1) // one connection: the one asked afterwards
	ctx := context.Background()
	for id := int64(1); id <= 300; id++ {
		if _, err := st.UserByID(ctx, id); err == nil {
			t.Fatalf("user %d exists in an empty database", id)
		}
	}
	var n int
	storetest.Scan(t, st, &n, "SELECT count(*) FROM pg_prepared_statements")
	if n != 0 {
		t.Fatalf("%d statements stay prepared on the connection after 300 lookups", n)
	}
}
