package cli

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/app/store"
)

// runAuditCLI runs one command line against the configuration at cfgPath.
// The path goes in as --config, because NewRoot binds Env.ConfigPath to
// that flag and so resets it.
func runAuditCLI(t *testing.T, cfgPath string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(append([]string{"--config", cfgPath, "--log-level", "error"}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String() + errOut.String(), err
}

func workstationConfig(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	dataDir = filepath.Join(dir, "data")
	cfgPath = filepath.Join(dir, "permitdesk.toml")
	if err := os.WriteFile(cfgPath, []byte("data_dir = \""+dataDir+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

func TestAuditVerifyReportsEditedRow(t *testing.T) {
	cfg, data := workstationConfig(t)
	addBossAndClerk(t, cfg)
	out, err := runAuditCLI(t, cfg, "audit", "verify")
	if err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("verify before tampering: %v\n%s", err, out)
	}

	db, err := sql.Open("sqlite", store.DSN(filepath.Join(data, store.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE audit_log SET actor = 'someone' WHERE seq = 2`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = runAuditCLI(t, cfg, "audit", "verify")
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 2 {
		t.Fatalf("verify after tampering: err = %v, want exit status 2", err)
	}
	if !strings.Contains(exit.Message, "record 2") || !strings.Contains(exit.Message, "edited") {
		t.Errorf("message %q does not name record 2 as edited", exit.Message)
	}
}

func TestOperatorCommandsEnforceRoles(t *testing.T) {
	cfg, _ := workstationConfig(t)
	t.Setenv(envNewPassword, "boss-password")
	runAuditCLI(t, cfg, "operator", "add", "--login", "boss", "--role", "supervisor")
	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	t.Setenv(envNewPassword, "clerk-password")
	runAuditCLI(t, cfg, "operator", "add", "--login", "clerk1", "--role", "clerk")

	t.Setenv(envOperator, "clerk1")
	t.Setenv(envPassword, "clerk-password")
	if _, err := runAuditCLI(t, cfg, "operator", "list"); err == nil || !strings.Contains(err.Error(), "supervisor") {
		t.Errorf("clerk listing operators: err = %v, want a role error", err)
	}
	if _, err := runAuditCLI(t, cfg, "stock", "receive", "--lot", "L1", "--count", "5"); err == nil {
		t.Error("clerk received stock")
	}
	t.Setenv(envPassword, "wrong-password")
	if _, err := runAuditCLI(t, cfg, "queue", "handover", "1"); err == nil ||
		!strings.Contains(err.Error(), "wrong login or password") {
		t.Errorf("wrong password: err = %v", err)
	}

	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	out, err := runAuditCLI(t, cfg, "operator", "list")
	if err != nil || !strings.Contains(out, "clerk1") {
		t.Fatalf("supervisor list: %v\n%s", err, out)
	}
	if out, err := runAuditCLI(t, cfg, "stock", "receive", "--lot", "L1", "--count", "5"); err != nil {
		t.Fatalf("receive stock: %v\n%s", err, out)
	}
	out, err = runAuditCLI(t, cfg, "stock", "reconcile")
	if err != nil || !strings.Contains(out, "on hand 5") {
		t.Errorf("reconcile: %v\n%s", err, out)
	}
}
