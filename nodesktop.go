//go:build !desktop && !dev && !bindings

package main

import (
	"fmt"
	"os"
)

// Without the tags that `go tool wails build` sets (make build), the Wails
// runtime cannot open a window, so say how to get a binary that can.
func init() {
	desktopUnavailable = func() int {
		fmt.Fprintln(os.Stderr, "permitdesk: this binary was built without the desktop window (plain go build).\n"+
			"Build it with `make build` (build/bin/permitdesk), or run a command: permitdesk --help")
		return 2
	}
}
