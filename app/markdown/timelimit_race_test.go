//go:build race

package markdown_test

import "time"

// renderTimeLimit is the longest a post may take to render: the race detector slows
// rendering by up to ten times.
const renderTimeLimit = 10 * time.Second
