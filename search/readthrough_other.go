//go:build !linux

package search

import "github.com/blevesearch/bleve/v2/index/scorch"

// workingSet lets go of a merge's pages on Linux only (see readthrough_linux.go).
type workingSet struct{}

func newWorkingSet(*scorch.IndexSnapshot) *workingSet { return nil }
func noWorkingSet(*scorch.IndexSnapshot) *workingSet  { return nil }
func (ws *workingSet) trim() int64                    { return 0 }
func (ws *workingSet) trimPart(k, parts int) int64    { return 0 }
func (ws *workingSet) close()                         {}
func (ws *workingSet) forgetKept()                    {}

func residentUnder(string) (int64, bool) { return 0, false }
