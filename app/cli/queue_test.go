package cli

import (
	"strings"
	"testing"
)

// addBossAndClerk adds a supervisor "boss" and a clerk "clerk1" to the
// database of cfg.
func addBossAndClerk(t *testing.T, cfg string) {
	t.Helper()
	t.Setenv(envNewPassword, "boss-password")
	if out, err := runAuditCLI(t, cfg, "operator", "add", "--login", "boss", "--role", "supervisor"); err != nil {
		t.Fatalf("add first supervisor: %v\n%s", err, out)
	}
	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	t.Setenv(envNewPassword, "clerk-password")
	if out, err := runAuditCLI(t, cfg, "operator", "add", "--login", "clerk1", "--role", "clerk"); err != nil {
		t.Fatalf("add clerk: %v\n%s", err, out)
	}
}

func TestReadCommandsRequireLogin(t *testing.T) {
	cfg, _ := workstationConfig(t)
	addBossAndClerk(t, cfg)
	reads := [][]string{
		{"queue", "list"},
		{"queue", "show", "1"},
		{"stock", "list"},
		{"stock", "reconcile"},
	}

	t.Setenv(envOperator, "clerk1")
	t.Setenv(envPassword, "wrong-password")
	for _, args := range reads {
		_, err := runAuditCLI(t, cfg, args...)
		if err == nil || !strings.Contains(err.Error(), "wrong login or password") {
			t.Errorf("%s with a wrong password: err = %v, want wrong login or password", strings.Join(args, " "), err)
		}
	}

	t.Setenv(envOperator, "")
	t.Setenv(envPassword, "")
	for _, args := range reads {
		_, err := runAuditCLI(t, cfg, args...)
		if err == nil || !strings.Contains(err.Error(), "not logged in") {
			t.Errorf("%s without credentials: err = %v, want not logged in", strings.Join(args, " "), err)
		}
	}

	t.Setenv(envOperator, "clerk1")
	t.Setenv(envPassword, "clerk-password")
	if out, err := runAuditCLI(t, cfg, "queue", "list"); err != nil || !strings.Contains(out, "JOB") {
		t.Errorf("clerk lists the queue: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"stock", "list"}, {"stock", "reconcile"}} {
		_, err := runAuditCLI(t, cfg, args...)
		if err == nil || !strings.Contains(err.Error(), "supervisor") {
			t.Errorf("clerk runs %s: err = %v, want a role error", strings.Join(args, " "), err)
		}
	}
}

func TestQueueListRejectsUnknownState(t *testing.T) {
	cfg, _ := workstationConfig(t)
	addBossAndClerk(t, cfg)
	_, err := runAuditCLI(t, cfg, "queue", "list", "--state", "queued,bogus")
	if err == nil || !strings.Contains(err.Error(), `invalid state "bogus": use one of queued,`) {
		t.Errorf("queue list --state bogus: err = %v, want an invalid state error", err)
	}
	if out, err := runAuditCLI(t, cfg, "queue", "list", "--state", "needs_attention"); err != nil {
		t.Errorf("queue list --state needs_attention: %v\n%s", err, out)
	}
}
