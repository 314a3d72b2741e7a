package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/app/diag"
	"permitdesk/app/operators"
	evolissim "permitdesk/devices/sim/evolis"
)

// runCLI runs one command line and returns its output and exit code.
func runDiagCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var exit *ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String() + exit.Message, exit.Code
	}
	return out.String() + errOut.String() + err.Error(), -1
}

// diagStation writes a configuration with the printer emulator and returns
// its path.
func diagStation(t *testing.T) (string, *evolissim.Sim) {
	t.Helper()
	dir := t.TempDir()
	sim, err := evolissim.New(evolissim.Options{Link: filepath.Join(dir, "printer")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sim.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	cfg := filepath.Join(dir, "permitdesk.toml")
	text := fmt.Sprintf("data_dir = %q\nlog_level = \"error\"\n\n[devices.printer]\nport = %q\n",
		filepath.Join(dir, "data"), sim.Path())
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, sim
}

func TestDiagCommandExitCode(t *testing.T) {
	cfg, sim := diagStation(t)
	out, code := runDiagCLI(t, "--config", cfg, "diag", "--json", "--device", "printer")
	if code != 0 {
		t.Fatalf("exit code %d with a working printer:\n%s", code, out)
	}
	var r diag.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, out)
	}
	if r.Schema != diag.Schema || r.Status != diag.StatusPass || len(r.Checks) == 0 {
		t.Errorf("report schema %d status %s with %d checks", r.Schema, r.Status, len(r.Checks))
	}
	sim.SetCoverOpen(true)
	out, code = runDiagCLI(t, "--config", cfg, "diag", "--device", "printer")
	if code != 1 {
		t.Errorf("exit code %d with the cover open, want 1", code)
	}
	if !strings.Contains(out, "FAIL") || !strings.Contains(out, "fix: close the printer cover") {
		t.Errorf("text output lacks the failure and its fix:\n%s", out)
	}
}

func TestDiagConsoleRejectsClerk(t *testing.T) {
	cfg, _ := diagStation(t)
	t.Setenv(envNewPassword, "supervisor-pw")
	if out, code := runDiagCLI(t, "--config", cfg, "operator", "add", "--login", "sup", "--name", "Sup",
		"--role", "supervisor"); code != 0 {
		t.Fatalf("add supervisor: %d %s", code, out)
	}
	t.Setenv(envOperator, "sup")
	t.Setenv(envPassword, "supervisor-pw")
	t.Setenv(envNewPassword, "clerk-password")
	if out, code := runDiagCLI(t, "--config", cfg, "operator", "add", "--login", "clerk", "--name", "Clerk",
		"--role", "clerk"); code != 0 {
		t.Fatalf("add clerk: %d %s", code, out)
	}
	t.Setenv(envOperator, "clerk")
	t.Setenv(envPassword, "clerk-password")
	out, code := runDiagCLI(t, "--config", cfg, "diag", "printer-cmd", "Rco;l")
	if code == 0 || !strings.Contains(out, operators.ErrForbidden.Error()) {
		t.Errorf("clerk's printer command: exit %d output %q, want a rejection", code, out)
	}
}

func TestDiagBundleAndBackup(t *testing.T) {
	cfg, _ := diagStation(t)
	if out, code := runDiagCLI(t, "--config", cfg, "db", "backup"); code != 0 || !strings.Contains(out, "backed up to") {
		t.Fatalf("db backup: exit %d: %s", code, out)
	}
	zip := filepath.Join(t.TempDir(), "bundle.zip")
	if out, code := runDiagCLI(t, "--config", cfg, "diag", "bundle", "--out", zip); code != 0 {
		t.Fatalf("diag bundle: exit %d: %s", code, out)
	}
	if info, err := os.Stat(zip); err != nil || info.Size() == 0 {
		t.Fatalf("bundle file: %v", err)
	}
	if out, code := runDiagCLI(t, "--config", cfg, "diag", "bundle", "--out", zip); code == 0 {
		t.Errorf("a second bundle over the same file succeeded: %s", out)
	}
}
