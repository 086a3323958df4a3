//go:build !race

package markdown_test

import "time"

// renderTimeLimit is the longest a post may take to render: well under a second of work,
// which a person waiting for a preview notices.
const renderTimeLimit = time.Second
