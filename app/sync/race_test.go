//go:build race

package sync

// The race detector slows the 10,000-record push test about thirtyfold
// (72 s against 2 s), so race builds push 2,000 records to keep the run
// short.
func init() { pushCount = 2000 }
