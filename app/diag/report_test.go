package diag

import (
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/app/config"
)

// TestCheckCodes checks the code of findings on real emulators: each code
// starts with the id and the status, and a variant distinguishes findings
// of one status.
func TestCheckCodes(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, cfg *config.Config)
		want  map[string]string // check id to code
	}{
		{"printer good", func(t *testing.T, cfg *config.Config) { startPrinter(t, cfg) },
			map[string]string{"printer.port": "printer.port.pass", "printer.sensors": "printer.sensors.pass"}},
		{"printer cover open", func(t *testing.T, cfg *config.Config) { startPrinter(t, cfg).SetCoverOpen(true) },
			map[string]string{"printer.sensors": "printer.sensors.fail"}},
		{"ribbon low", func(t *testing.T, cfg *config.Config) { startPrinter(t, cfg).ReplaceRibbon(20) },
			map[string]string{"printer.ribbon": "printer.ribbon.warn.low"}},
		{"port missing", func(t *testing.T, cfg *config.Config) {
			cfg.Devices.Printer.Port = filepath.Join(t.TempDir(), "ttyUSB9")
		}, map[string]string{"printer.port": "printer.port.fail.missing",
			"printer.sensors": "printer.sensors.skip.prerequisite"}},
		{"nothing configured", func(*testing.T, *config.Config) {},
			map[string]string{"printer.port": "printer.port.skip.not_configured",
				"rewriter.sensors": "rewriter.sensors.skip.not_configured",
				"scanner.device":   "scanner.device.skip.not_configured",
				"central.tls":      "central.tls.skip.offline_only",
				"storage.wal":      "storage.wal.skip.no_database"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			tc.setup(t, &cfg)
			r := run(t, New(Options{Config: cfg}), RunOptions{Devices: []string{"printer", "rewriter", "scanner",
				"central", "storage"}})
			for _, c := range r.Checks {
				prefix := c.ID + "." + string(c.Status)
				if c.Code != prefix && !strings.HasPrefix(c.Code, prefix+".") {
					t.Errorf("%s: code %q does not start with %q", c.ID, c.Code, prefix)
				}
			}
			for id, want := range tc.want {
				c, ok := r.Find(id)
				if !ok {
					t.Errorf("check %s missing", id)
					continue
				}
				if c.Code != want {
					t.Errorf("%s: code %q, want %q (reason %q)", id, c.Code, want, c.Reason)
				}
			}
		})
	}
}
