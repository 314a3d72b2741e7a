package main

import (
	"embed"

	"permitdesk/app/cli"
	"permitdesk/app/ui"
)

//go:embed all:frontend/dist
var assets embed.FS

func runDesktop() int {
	return ui.Run(assets, ui.BuildInfo{Version: cli.Version, Commit: cli.Commit, Date: cli.Date})
}
