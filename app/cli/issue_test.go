package cli

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"permitdesk/app/store"
)

func TestIssueRejectsBlankApplication(t *testing.T) {
	cfg, _ := workstationConfig(t)
	_, err := runAuditCLI(t, cfg, "issue", "--application", "  ")
	if err == nil || !strings.Contains(err.Error(), "missing application id") {
		t.Errorf("blank --application: err = %v, want a missing application id error", err)
	}
}

// insertJob stores a job in the given state directly, because a spoiled job
// takes a printer fault to make and the worker's tests cover that path.
func insertJob(t *testing.T, dataDir, applicationID, state string) {
	t.Helper()
	db, err := sql.Open("sqlite", store.DSN(filepath.Join(dataDir, store.FileName)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`INSERT INTO jobs (application_id, permit_number, kind, state, printer, permit, created_at,
		updated_at) VALUES (?, 'P-1', 'issue', ?, '', '{}', '2026-12-04T09:00:00Z', '2026-12-04T09:00:00Z')`,
		applicationID, state)
	if err != nil {
		t.Fatal(err)
	}
}

func TestQueueRetryNeedsSupervisor(t *testing.T) {
	cfg, data := workstationConfig(t)
	addBossAndClerk(t, cfg)
	insertJob(t, data, "APP-SPOILED", "spoiled")
	insertJob(t, data, "APP-QUEUED", "queued")
	t.Setenv(envOperator, "clerk1")
	t.Setenv(envPassword, "clerk-password")

	out, err := runAuditCLI(t, cfg, "queue", "show", "1")
	if err != nil || !strings.Contains(out, "next: permitdesk queue retry 1 takes a new card") {
		t.Errorf("show of a spoiled job: %v\n%s", err, out)
	}
	out, err = runAuditCLI(t, cfg, "queue", "show", "2")
	if err != nil || !strings.Contains(out, "next: permitdesk queue retry 2 runs it") {
		t.Errorf("show of a queued job: %v\n%s", err, out)
	}

	_, err = runAuditCLI(t, cfg, "queue", "retry", "1")
	if err == nil || !strings.Contains(err.Error(), envSupervisor) {
		t.Errorf("retry of a spoiled job without a supervisor: err = %v, want one naming %s", err, envSupervisor)
	}

	t.Setenv(envSupervisor, "boss")
	t.Setenv(envSupervisorPassword, "wrong-password")
	_, err = runAuditCLI(t, cfg, "queue", "retry", "1")
	if err == nil || !strings.Contains(err.Error(), "wrong login or password") {
		t.Errorf("retry with a wrong supervisor password: err = %v", err)
	}

	// A queued job holds no card: the retry gets past the approval and
	// stops at the printer, which this station does not have.
	t.Setenv(envSupervisor, "")
	t.Setenv(envSupervisorPassword, "")
	_, err = runAuditCLI(t, cfg, "queue", "retry", "2")
	if err == nil || strings.Contains(err.Error(), envSupervisor) {
		t.Errorf("retry of a queued job: err = %v, want a device error and no approval", err)
	}
}
