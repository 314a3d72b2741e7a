//go:build race

package sync

// The race detector slows the SQLite engine about fifteenfold, so race
// builds push 2,000 records instead of 10,000 to keep the run short.
func init() { pushCount = 2000 }
