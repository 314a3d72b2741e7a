package main

import (
	"embed"

	"permitdesk/app/cli"
	"permitdesk/app/ui"
)

//go:embed all:frontend/dist
var assets embed.FS

// desktopUnavailable, when set, explains why this build has no window.
var desktopUnavailable func() int

func runDesktop() int {
	if desktopUnavailable != nil {
		return desktopUnavailable()
	}
	return ui.Run(assets, ui.BuildInfo{Version: cli.Version, Commit: cli.Commit, Date: cli.Date})
}
