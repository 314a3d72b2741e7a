// Command permitdesk is the residence-permit card issuing workstation. With
// no arguments it opens the desktop window; with a command it runs headless.
package main

import (
	"os"

	"permitdesk/app/cli"
)

func main() {
	cli.OpenDesktop = runDesktop
	os.Exit(cli.Execute(os.Args[1:]))
}
