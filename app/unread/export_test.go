package unread

import "time"

// SetClock replaces the clock (tests).
func (p *Positions) SetClock(now func() time.Time) { p.now = now }
