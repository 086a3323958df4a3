// Package fortests holds the key that the store's test hooks ask for. Being internal to
// app/store, it can be named only there and in app/store/storetest: no other package can
// call the hooks, and so none reaches the database handle.
package fortests

// Key is the first argument of the store's test hooks.
type Key struct{}
