package ui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"permitdesk/app/issuance"
	"permitdesk/app/operators"
)

// scriptedRunner is a JobRunner that records its calls and fails with err
// when it is set, as a printer that cannot be opened does.
type scriptedRunner struct {
	mu       sync.Mutex
	runs     []int64
	resolves []issuance.Choice
	err      error
	// withJob makes RunJob return the job with err, as the worker does
	// when a check before the feed refuses to start.
	withJob bool
	iss     *issuance.Service
}

func (r *scriptedRunner) RunJob(ctx context.Context, id int64, _ string) (*issuance.Job, error) {
	r.mu.Lock()
	r.runs = append(r.runs, id)
	r.mu.Unlock()
	if r.err != nil && !r.withJob {
		return nil, r.err
	}
	j, err := r.iss.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	return j, r.err
}

func (r *scriptedRunner) Resolve(ctx context.Context, _ *operators.Session, id int64, c issuance.Choice, _,
	_ string) (*issuance.Job, error) {
	r.mu.Lock()
	r.resolves = append(r.resolves, c)
	r.mu.Unlock()
	return r.iss.Job(ctx, id)
}

func (r *scriptedRunner) calls() ([]int64, []issuance.Choice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.runs...), append([]issuance.Choice(nil), r.resolves...)
}

func newRunnerFixture(t *testing.T, err error) (*queueFixture, *scriptedRunner) {
	t.Helper()
	f := newQueueFixture(t)
	r := &scriptedRunner{err: err, iss: f.iss}
	f.app.opts.Runner = r
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	return f, r
}

func TestIssueCardStartsJob(t *testing.T) {
	f, r := newRunnerFixture(t, nil)
	j, err := f.app.IssueCard("A1")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != string(issuance.Queued) {
		t.Errorf("state %s, want queued", j.State)
	}
	f.app.jobs.Wait()
	if runs, _ := r.calls(); len(runs) != 1 || runs[0] != j.ID {
		t.Errorf("runner ran %v, want [%d]", runs, j.ID)
	}
}

// issueWhileForwarding issues application A1 with the progress forwarded to
// the recorder and returns the job's progress once its run ended.
func issueWhileForwarding(t *testing.T, f *queueFixture) (JobView, JobProgress) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.app.forwardProgress(ctx)
	waitSubscribed(t, f.iss, f.rec)

	j, err := f.app.IssueCard("A1")
	if err != nil {
		t.Fatal(err)
	}
	f.app.jobs.Wait()
	p, err := f.app.JobProgress(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return j, p
}

func TestIssueCardWithoutPrinterWaits(t *testing.T) {
	f, _ := newRunnerFixture(t, errors.New("open /dev/ttyUSB0: no such file or directory"))
	j, p := issueWhileForwarding(t, f)
	if p.State != "queued" || p.Step != StepWaitingForPrinter || p.Message == "" {
		t.Errorf("progress %+v, want queued, waiting for the printer, with the reason", p)
	}
	waitEvent(t, f.rec, func(p JobProgress) bool { return p.JobID == j.ID && p.Step == StepWaitingForPrinter })
}

func TestIssueCardRefusedBeforeFeedSaysWhy(t *testing.T) {
	reason := "no card taken: a card is in the encoder reader (serial 50444687DC43CDB1): take it out, then issue again"
	f, r := newRunnerFixture(t, errors.New(reason))
	r.withJob = true
	_, p := issueWhileForwarding(t, f)
	if p.State != "queued" || p.Message != reason {
		t.Errorf("progress %+v, want queued with the reason %q", p, reason)
	}
}

func TestJobProgressFromStoreWithoutEvents(t *testing.T) {
	f, _ := newRunnerFixture(t, nil)
	j, err := f.iss.Enqueue(context.Background(), f.clerk, "A1")
	if err != nil {
		t.Fatal(err)
	}
	// A new bus has seen no event of the job, as after a restart.
	fresh := issuance.New(f.iss.DB(), issuance.Options{StationID: "SZ-FT-001"})
	f.app.opts.Issuance = fresh
	p, err := f.app.JobProgress(j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != "queued" || p.JobID != j.ID {
		t.Errorf("progress %+v, want job %d queued", p, j.ID)
	}
	if _, err := f.app.JobProgress(j.ID + 100); errorCode(err) != CodeNotFound {
		t.Errorf("unknown job: code %q (%v), want %s", errorCode(err), err, CodeNotFound)
	}
}

func TestResolveJobApproval(t *testing.T) {
	boss := SupervisorApproval{Login: "boss", Password: "supervisor-pw"}
	tests := []struct {
		name     string
		choice   string
		reason   string
		approval SupervisorApproval
		code     string
	}{
		{"continue needs none", "continue", "", SupervisorApproval{}, ""},
		{"retry without supervisor", "retry", "", SupervisorApproval{}, CodeApprovalRequired},
		{"retry wrong password", "retry", "", SupervisorApproval{Login: "boss", Password: "guess"},
			CodeBadCredentials},
		{"retry by the clerk", "retry", "", SupervisorApproval{Login: "clerk1", Password: "clerk-password"},
			CodeForbidden},
		{"retry approved", "retry", "", boss, ""},
		{"void without reason", "void", "", boss, CodeInvalidArgument},
		{"void approved", "void", "card damaged", boss, ""},
		{"unknown choice", "skip", "", boss, CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, r := newRunnerFixture(t, nil)
			j, err := f.iss.Enqueue(context.Background(), f.clerk, "A1")
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.app.ResolveJob(j.ID, tt.choice, tt.reason, tt.approval)
			if got := errorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			_, resolves := r.calls()
			if tt.code == "" && (len(resolves) != 1 || string(resolves[0]) != tt.choice) {
				t.Errorf("runner got %v, want [%s]", resolves, tt.choice)
			}
			if tt.code != "" && len(resolves) != 0 {
				t.Errorf("runner got %v after a refusal", resolves)
			}
		})
	}
}

func TestIssueCardWithoutRunner(t *testing.T) {
	f := newQueueFixture(t)
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.IssueCard("A1"); errorCode(err) != CodeUnavailable {
		t.Errorf("code %q (%v), want %s", errorCode(err), err, CodeUnavailable)
	}
}

// waitSubscribed waits until forwardProgress has subscribed to the bus:
// a probe event published on it reaches the recorder.
func waitSubscribed(t *testing.T, iss *issuance.Service, rec *recorder) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		iss.Bus().Publish(issuance.Progress{JobID: -1, Step: "probe"})
		for _, e := range rec.list() {
			if p, ok := e.data.(JobProgress); ok && p.JobID == -1 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("forwardProgress did not subscribe within 5s")
}

func waitEvent(t *testing.T, rec *recorder, match func(JobProgress) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range rec.list() {
			if p, ok := e.data.(JobProgress); ok && e.name == EventJobProgress && match(p) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no matching %s event; got %+v", EventJobProgress, rec.list())
}

func TestStatusShowsCardStock(t *testing.T) {
	f := newQueueFixture(t)
	s := f.app.StatusSnapshot().Stock
	if !s.Tracked || s.OnHand != 10 || !s.Low {
		t.Errorf("stock %+v, want 10 tracked and low", s)
	}
	if _, err := f.app.Login("boss", "supervisor-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.ReceiveCardLot("LOT-2026-002", 200); err != nil {
		t.Fatal(err)
	}
	s = f.app.StatusSnapshot().Stock
	if s.OnHand != 210 || s.Low {
		t.Errorf("stock after a lot of 200: %+v, want 210 and not low", s)
	}
	if empty := NewApp(Options{}).StatusSnapshot().Stock; empty.Tracked {
		t.Errorf("stock without issuance: %+v, want untracked", empty)
	}
}
