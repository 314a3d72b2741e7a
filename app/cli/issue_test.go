package cli

import (
	"strings"
	"testing"
)

func TestIssueRejectsBlankApplication(t *testing.T) {
	cfg, _ := workstationConfig(t)
	_, err := runAuditCLI(t, cfg, "issue", "--application", "  ")
	if err == nil || !strings.Contains(err.Error(), "missing application id") {
		t.Errorf("blank --application: err = %v, want a missing application id error", err)
	}
}
