//go:build !linux

package markdown_test

import "time"

// cpuTime returns the time fn takes; elsewhere than Linux, the time on the clock.
func cpuTime(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start)
}
