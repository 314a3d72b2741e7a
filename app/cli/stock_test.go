package cli

import (
	"strings"
	"testing"
)

func TestStockCommandsRejectBadCounts(t *testing.T) {
	cfg, _ := workstationConfig(t)
	t.Setenv(envNewPassword, "boss-password")
	if out, err := runAuditCLI(t, cfg, "operator", "add", "--login", "boss", "--role", "supervisor"); err != nil {
		t.Fatalf("add first supervisor: %v\n%s", err, out)
	}
	t.Setenv(envOperator, "boss")
	t.Setenv(envPassword, "boss-password")
	if out, err := runAuditCLI(t, cfg, "stock", "receive", "--lot", "L-77", "--count", "10"); err != nil {
		t.Fatalf("receive: %v\n%s", err, out)
	}
	_, err := runAuditCLI(t, cfg, "stock", "adjust", "--lot", "L-77", "--delta", "-50", "--reason", "counted")
	if err == nil || !strings.Contains(err.Error(), "10 cards on hand") {
		t.Errorf("adjust below zero: err = %v, want a message naming the 10 cards on hand", err)
	}
	_, err = runAuditCLI(t, cfg, "stock", "adjust", "--lot", "LOT-9", "--delta", "1", "--reason", "counted")
	if want := `lot "LOT-9" not found: list lots with permitdesk stock list`; err == nil || err.Error() != want {
		t.Errorf("adjust an unknown lot: err = %v, want %q", err, want)
	}
	_, err = runAuditCLI(t, cfg, "stock", "receive", "--lot", "L-78", "--count", "99999999999")
	if err == nil || !strings.Contains(err.Error(), "from 1 to 10000") {
		t.Errorf("receive a huge count: err = %v, want a message stating the limit", err)
	}
	out, err := runAuditCLI(t, cfg, "stock", "reconcile")
	if err != nil {
		t.Fatalf("reconcile: %v\n%s", err, out)
	}
	if strings.Contains(out, "map[") {
		t.Errorf("reconcile prints a Go map: %q", out)
	}
	if !strings.Contains(out, "on hand 10") || !strings.Contains(out, "cards: none") {
		t.Errorf("reconcile output %q, want on hand 10 and cards: none", out)
	}
}
