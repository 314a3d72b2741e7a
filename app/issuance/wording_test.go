package issuance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"permitdesk/app/permit"
	appsync "permitdesk/app/sync"
)

func TestNormalizeApplicationID(t *testing.T) {
	for in, want := range map[string]string{" jz0001 ": "JZ0001", "JZ0002": "JZ0002", "\tjz3\n": "JZ3"} {
		got, err := NormalizeApplicationID(in)
		if err != nil || got != want {
			t.Errorf("NormalizeApplicationID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := NormalizeApplicationID("  "); err == nil || !strings.Contains(err.Error(), "missing application id") {
		t.Errorf("blank id: err = %v, want a missing application id error", err)
	}
}

func TestEnqueueNormalizesApplicationID(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	j, err := h.svc.Enqueue(context.Background(), h.clerk, " a1 ")
	if err != nil {
		t.Fatal(err)
	}
	if j.ApplicationID != "A1" {
		t.Errorf("job application id = %q, want A1", j.ApplicationID)
	}
}

// cacheMissApps fails as the sync service does for an id not in its cache.
type cacheMissApps struct{}

func (cacheMissApps) Application(_ context.Context, id string) (permit.Application, error) {
	return permit.Application{}, fmt.Errorf("application %q: %w in the local cache: run `permitdesk sync --once`",
		id, appsync.ErrApplicationNotFound)
}

func TestApplicationNotFoundNamesCase(t *testing.T) {
	h := openHarness(t, t.TempDir(), nil, true)
	ctx := context.Background()
	h.svc.opt.Applications = cacheMissApps{}
	_, err := h.svc.Enqueue(ctx, h.clerk, "JZ0000")
	if !errors.Is(err, appsync.ErrApplicationNotFound) {
		t.Fatalf("err = %v, want ErrApplicationNotFound", err)
	}
	if n := strings.Count(err.Error(), `application "JZ0000"`); n != 1 {
		t.Errorf("error %q names the application %d times, want once", err, n)
	}
	if !strings.Contains(err.Error(), "never pulled") {
		t.Errorf("before any pull: error %q does not say the station never pulled", err)
	}

	if _, err := h.db.Exec(`INSERT INTO sync_cursors (feed, after_seq, updated_at)
		VALUES ('applications', 7, '2026-03-01T09:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.Enqueue(ctx, h.clerk, "JZ0000")
	for _, want := range []string{"not among the applications assigned to station SZ-FT-01",
		"another station", "2026-03-01T09:00:00Z"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("after a pull: error %v does not contain %q", err, want)
		}
	}
}

func TestRepeatedMovesSayAlreadyDone(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	h.worker(WorkerOptions{})
	ctx := context.Background()
	j := issueOne(t, h, "A1")
	_, err := h.svc.Handover(ctx, h.clerk, j.ID)
	if !errors.Is(err, ErrAlreadyDone) || !strings.Contains(err.Error(), "already issued") {
		t.Errorf("second handover: err = %v, want already issued", err)
	}
	if _, err := h.svc.Void(ctx, h.clerk, j.ID, h.approve(ApproveVoid), "lost"); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.Void(ctx, h.clerk, j.ID, h.approve(ApproveVoid), "lost")
	if !errors.Is(err, ErrAlreadyDone) || !strings.Contains(err.Error(), "already voided") {
		t.Errorf("second void: err = %v, want already voided", err)
	}
}
