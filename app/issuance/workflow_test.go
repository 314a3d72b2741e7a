package issuance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"permitdesk/app/operators"
	"permitdesk/devices"
)

func TestIssueHappyPath(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{})
	ctx := context.Background()
	events, stop := h.svc.Bus().Subscribe(100)
	defer stop()

	j := h.enqueue("A1")
	done, err := w.RunJob(ctx, j.ID, "clerk1")
	if err != nil {
		t.Fatal(err)
	}
	if done.State != AwaitingHandover {
		t.Fatalf("state %s, want awaiting_handover", done.State)
	}
	issued, err := h.svc.Handover(ctx, h.clerk, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if issued.Card.State != "issued" || issued.Card.Serial == "" {
		t.Errorf("card %+v, want issued with a serial", issued.Card)
	}
	h.checkInvariants(true)

	var states []string
	for len(events) > 0 {
		states = append(states, string((<-events).State))
	}
	want := "queued card_fed encoding encoded verified printing printed ejected awaiting_handover issued"
	if got := strings.Join(states, " "); got != want {
		t.Errorf("progress states:\n got %s\nwant %s", got, want)
	}
	if snap := h.svc.Bus().Snapshot()[j.ID]; snap.Percent != 100 {
		t.Errorf("snapshot percent %d, want 100", snap.Percent)
	}
	evs, _ := h.svc.Events(ctx, j.ID)
	if len(evs) != 10 {
		t.Errorf("%d job events, want 10", len(evs))
	}
	var records int
	h.db.QueryRow(`SELECT count(*) FROM test_outbox WHERE kind = 'issued'`).Scan(&records)
	if records != 1 {
		t.Errorf("%d issued records, want 1", records)
	}
}

// failureCase injects one device failure and states how the job must end.
type failureCase struct {
	name   string
	inject func(m *machine)
	// want is the state RunJob ends in.
	want State
	// resolve is applied to a job that needs attention or was spoiled;
	// "" leaves it.
	resolve Choice
	// evidence must appear in the job's attention text.
	evidence string
}

var errLostReply = fmt.Errorf("no reply: %w", devices.ErrUnconfirmed)

var errOutOfStep = fmt.Errorf("got %q: %w", "OK", devices.ErrOutOfStep)

var failureCases = []failureCase{
	{"feeder empty", func(m *machine) { m.before["feed"] = fmt.Errorf("feeder empty: %w", devices.ErrNoCard) },
		Queued, "", "no card was fed"},
	{"feed reply lost", func(m *machine) { m.after["feed"] = errLostReply },
		NeedsAttention, ChoiceContinue, "feed to the contactless station was not confirmed"},
	{"feed jam", func(m *machine) { m.after["feed"] = devices.Errorf("fake", "feed", "CARD_JAM", "card jam") },
		Spoiled, ChoiceRetry, "feed failed"},
	{"feed link out of step", func(m *machine) { m.after["feed"] = errOutOfStep },
		NeedsAttention, ChoiceContinue, "printer link was out of step while feeding"},
	{"chip write refused", func(m *machine) {
		m.before["personalise"] = devices.Errorf("fake", "personalise", "6982", "security status not satisfied")
	}, Spoiled, ChoiceRetry, "chip write failed"},
	{"chip write reply lost", func(m *machine) { m.after["personalise"] = errLostReply },
		NeedsAttention, ChoiceContinue, "writing the chip was not confirmed"},
	{"chip write lost before effect", func(m *machine) { m.before["personalise"] = errLostReply },
		NeedsAttention, ChoiceContinue, "writing the chip was not confirmed"},
	{"chip write hangs", func(m *machine) { m.block["personalise"] = true },
		NeedsAttention, ChoiceRetry, "timed out"},
	{"read-back differs", func(m *machine) { m.corrupt = true }, Spoiled, "", "holder name differs"},
	{"read-back fails", func(m *machine) { m.before["read"] = devices.ErrCardRemoved },
		Spoiled, ChoiceRetry, "read-back failed"},
	{"counter unreadable", func(m *machine) { m.before["status"] = devices.ErrNotConnected },
		NeedsAttention, ChoiceContinue, "counter could not be read"},
	{"print reply lost after print", func(m *machine) { m.after["print"] = errLostReply },
		AwaitingHandover, "", ""},
	{"print reply lost before print", func(m *machine) { m.before["print"] = errLostReply },
		NeedsAttention, ChoiceRetry, "print not confirmed (printer counter 0 before printing, 0 now)"},
	{"print ribbon error", func(m *machine) { m.before["print"] = devices.Errorf("fake", "print", "RIBBON", "ribbon") },
		Spoiled, ChoiceRetry, "print failed"},
	{"eject reply lost", func(m *machine) { m.after["eject"] = errLostReply },
		NeedsAttention, ChoiceContinue, "eject not confirmed"},
	{"eject jam then retry", func(m *machine) { m.before["eject"] = devices.Errorf("fake", "eject", "JAM", "jam") },
		NeedsAttention, ChoiceRetry, "eject not confirmed"},
	{"spoil cannot reject", func(m *machine) {
		m.before["print"] = devices.Errorf("fake", "print", "HEAD", "head error")
		m.before["reject"] = devices.Errorf("fake", "reject", "JAM", "jam")
	}, NeedsAttention, ChoiceRetry, "reject box failed"},
}

func TestWorkflowDeviceFailures(t *testing.T) {
	for _, tc := range failureCases {
		t.Run(tc.name, func(t *testing.T) {
			h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
			w := h.worker(WorkerOptions{StepTimeout: 200 * time.Millisecond})
			ctx := context.Background()
			tc.inject(h.m)
			j := h.enqueue("A1")
			got, err := w.RunJob(ctx, j.ID, "clerk1")
			if tc.want != AwaitingHandover && err == nil {
				t.Error("RunJob returned no error for a failed job")
			}
			if got == nil {
				t.Fatalf("RunJob returned no job: %v", err)
			}
			if got.State != tc.want {
				t.Fatalf("state %s, want %s (err %v)", got.State, tc.want, err)
			}
			if !strings.Contains(got.Attention, tc.evidence) {
				t.Errorf("attention %q does not contain %q", got.Attention, tc.evidence)
			}
			h.checkInvariants(false)
			h.finish(t, j.ID, tc.resolve)
			h.checkInvariants(true)
		})
	}
}

// finish resolves a stopped job with choice and hands the card over.
func (h *harness) finish(t *testing.T, id int64, choice Choice) {
	t.Helper()
	ctx := context.Background()
	j := h.job(id)
	if j.State == Queued {
		h.m.mu.Lock()
		h.m.before = map[string]error{}
		h.m.mu.Unlock()
		var err error
		if j, err = h.w.RunJob(ctx, id, "clerk1"); err != nil {
			t.Fatalf("run again: %v", err)
		}
	}
	if choice != "" {
		var err error
		h.m.corrupt = false
		if j, err = h.w.Resolve(ctx, h.clerk, id, choice, "", ""); err != nil {
			t.Fatalf("resolve %s: %v", choice, err)
		}
	}
	if j.State == Spoiled {
		return
	}
	if j.State != AwaitingHandover {
		t.Fatalf("after %q: state %s, want awaiting_handover", choice, j.State)
	}
	if _, err := h.svc.Handover(ctx, h.clerk, id); err != nil {
		t.Fatal(err)
	}
}

func TestRetryTakesNewCard(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{})
	ctx := context.Background()
	h.m.before["print"] = devices.Errorf("fake", "print", "RIBBON", "ribbon ended")
	j := h.enqueue("A1")
	first, _ := w.RunJob(ctx, j.ID, "clerk1")
	if first.State != Spoiled {
		t.Fatalf("state %s, want spoiled", first.State)
	}
	again, err := w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if again.CardID == first.CardID || again.Attempt != 2 {
		t.Errorf("retry used card %d attempt %d; first card %d", again.CardID, again.Attempt, first.CardID)
	}
	old, err := loadCard(ctx, h.db, first.CardID)
	if err != nil {
		t.Fatal(err)
	}
	if old.State != "spoiled" || !strings.Contains(old.Reason, "ribbon ended") {
		t.Errorf("old card %s %q, want spoiled with the reason", old.State, old.Reason)
	}
	if st := h.m.state(); len(st.Reject) != 1 || len(st.Hopper) != 1 {
		t.Errorf("reject box %d, hopper %d; want 1 and 1", len(st.Reject), len(st.Hopper))
	}
	h.svc.Handover(ctx, h.clerk, j.ID)
	h.checkInvariants(true)
}

func TestCancelSpoilsCardInPrinter(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	ctx, cancel := context.WithCancel(context.Background())
	w := h.worker(WorkerOptions{Hook: func(p string) {
		if p == "before:printing" {
			cancel()
		}
	}})
	j := h.enqueue("A1")
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if got.State != Spoiled || !strings.Contains(got.Attention, "cancelled") {
		t.Errorf("state %s %q, want spoiled by cancellation", got.State, got.Attention)
	}
	if st := h.m.state(); len(st.Reject) != 1 || st.Station != nil {
		t.Errorf("machine after cancel: %+v", st)
	}
	h.checkInvariants(true)
}

func TestCancelQueuedJobReleasesClaim(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := h.enqueue("A1")
	if _, err := w.RunJob(ctx, j.ID, "clerk1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if got := h.job(j.ID); got.State != Queued || got.ClaimedBy != "" {
		t.Errorf("job %s claimed by %q; want queued and unclaimed", got.State, got.ClaimedBy)
	}
}

func TestRunPicksUpQueuedJobs(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{PollInterval: time.Hour})
	events, stop := h.svc.Bus().Subscribe(256)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx, "clerk1") }()
	ids := map[int64]bool{}
	for _, app := range []string{"A1", "A2", "A3"} {
		ids[h.enqueue(app).ID] = true
		w.Notify()
	}
	for len(ids) > 0 {
		ev := <-events
		if ev.State == AwaitingHandover {
			delete(ids, ev.JobID)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	h.checkInvariants(true)
}

func TestContinueRefusesUnfinishedPrint(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{})
	ctx := context.Background()
	h.m.before["print"] = errLostReply
	j := h.enqueue("A1")
	if got, _ := w.RunJob(ctx, j.ID, "clerk1"); got.State != NeedsAttention {
		t.Fatalf("state %s, want needs_attention", got.State)
	}
	_, err := w.Resolve(ctx, h.clerk, j.ID, ChoiceContinue, "", "")
	if !errors.Is(err, ErrCannotContinue) || !strings.Contains(err.Error(), "partly printed") {
		t.Fatalf("continue after an unfinished print: err = %v, want ErrCannotContinue", err)
	}
	if got := h.job(j.ID); got.State != NeedsAttention {
		t.Errorf("job is %s after a refused continue", got.State)
	}
	if h.m.calls["print"] != 1 {
		t.Errorf("print called %d times, want 1", h.m.calls["print"])
	}
}

func TestRetryNeedsSupervisorApproval(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	w := h.worker(WorkerOptions{RetryNeedsApproval: true})
	ctx := context.Background()
	h.m.before["print"] = devices.Errorf("fake", "print", "RIBBON", "ribbon ended")
	j := h.enqueue("A1")
	if first, _ := w.RunJob(ctx, j.ID, "clerk1"); first.State != Spoiled {
		t.Fatalf("state %s, want spoiled", first.State)
	}

	_, err := w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, "", "")
	if !errors.Is(err, operators.ErrNoApproval) {
		t.Fatalf("retry without approval: err %v, want ErrNoApproval", err)
	}
	if got, _ := h.svc.Job(ctx, j.ID); got.State != Spoiled || got.Attempt != 1 {
		t.Fatalf("after the refused retry: state %s attempt %d, want spoiled 1", got.State, got.Attempt)
	}
	_, err = w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, h.approve(ApproveVoid), "")
	if !errors.Is(err, operators.ErrNoApproval) {
		t.Fatalf("retry with a void approval: err %v, want ErrNoApproval", err)
	}

	again, err := w.Resolve(ctx, h.clerk, j.ID, ChoiceRetry, h.approve(ApproveRetry), "")
	if err != nil {
		t.Fatal(err)
	}
	if again.State != AwaitingHandover || again.Attempt != 2 {
		t.Errorf("approved retry: state %s attempt %d, want awaiting_handover 2", again.State, again.Attempt)
	}
}
