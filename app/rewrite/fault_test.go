package rewrite_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"permitdesk/app/audit"
	"permitdesk/app/permit"
	"permitdesk/app/rewrite"
	"permitdesk/devices"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

// issuedRig is a rig with one issued, reported card in the reader.
func issuedRig(t testing.TB, o rigOptions) (*rig, permit.Application, permitcard.Serial) {
	t.Helper()
	c := startCentral(t, testSeed(t))
	r := newRig(t, c, o)
	r.pull(t)
	app := r.application(t, station, 0)
	serial := r.issueCard(t, app, sealCentral)
	r.reportIssued(t, app, serial)
	r.push(t)
	return r, app, serial
}

// armAt sets faults on the card emulator the first time a job reaches step.
func armAt(r *rig, step string, f simcard.Faults) {
	armed := false
	rewrite.SetHook(r.svc, func(s string) {
		if s == step && !armed {
			armed = true
			r.cards.SetFaults(f)
		}
	})
}

// presentAgain waits until the card left the reader and inserts it again.
func presentAgain(t *testing.T, r *rig, serial permitcard.Serial) {
	t.Helper()
	r.waitRemoved(t)
	if err := r.cards.Insert(serial); err != nil {
		t.Fatal(err)
	}
}

// checkRolledBack checks that the card holds old at seq and that Read
// shows no history entry made by the rolled-back change.
func checkRolledBack(t *testing.T, r *rig, old permit.Address, seq uint16) {
	t.Helper()
	c := r.readCard(t)
	if c.State != permitcard.StatePersonalised || c.Sequence != seq || c.Data.Address != chipAddr(old) {
		t.Fatalf("after roll-back: %s sequence %d address %+v, want %d %+v", c.State, c.Sequence,
			c.Data.Address, seq, chipAddr(old))
	}
	view, err := r.svc.Read(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range view.History {
		if h.Sequence >= int(seq) {
			t.Fatalf("Read shows history entry %d at or past the current sequence %d", h.Sequence, seq)
		}
	}
	if view.OpenJob != nil {
		t.Fatalf("Read shows open job %d after the roll-back", view.OpenJob.ID)
	}
}

// TestRewriteRemovedAfterEachCommand removes the card in place of the
// response to the Nth command of the chip phase, for every N until the chip
// phase finishes, presents it again, and resumes or rolls back.
func TestRewriteRemovedAfterEachCommand(t *testing.T) {
	r, app, serial := issuedRig(t, rigOptions{})
	ctx := testCtx(t)
	cur, seq := app.Address, uint16(1)
	seen := map[rewrite.ChipCondition]int{}
	for n := 1; ; n++ {
		next := r.otherHouseCode(t, cur, n%3)
		armAt(r, rewrite.StepChipWrite, simcard.Faults{RemoveAfter: n})
		job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
		if err != nil {
			t.Fatalf("command %d: Start: %v", n, err)
		}
		if job.State == rewrite.Done {
			r.cards.SetFaults(simcard.Faults{})
			if n < 10 {
				t.Fatalf("the chip phase finished after only %d commands", n-1)
			}
			checkChip(t, r, next, seq+1, cur)
			cur = next
			break
		}
		if job.State != rewrite.NeedsAttention || job.AttentionFrom != rewrite.ChipWriting ||
			!strings.Contains(job.Attention, serial.String()) {
			t.Fatalf("command %d: job %s from %s: %q", n, job.State, job.AttentionFrom, job.Attention)
		}
		presentAgain(t, r, serial)
		view, err := r.svc.Read(ctx)
		if err != nil {
			t.Fatalf("command %d: Read: %v", n, err)
		}
		if view.OpenJob == nil || view.OpenJob.ID != job.ID || view.ChipCondition == "" {
			t.Fatalf("command %d: Read open job %+v condition %q", n, view.OpenJob, view.ChipCondition)
		}
		seen[view.ChipCondition]++
		if n%2 == 1 && view.ChipCondition != rewrite.ChipNew {
			got, err := r.svc.RollBack(ctx, r.tech, job.ID)
			if err != nil || got.State != rewrite.RolledBack {
				t.Fatalf("command %d (%s): RollBack: %s %v", n, view.ChipCondition, got.State, err)
			}
			checkRolledBack(t, r, cur, seq)
			continue
		}
		got, err := r.svc.Resume(ctx, r.tech, job.ID)
		if err != nil || got.State != rewrite.Done {
			t.Fatalf("command %d (%s): Resume: %s %q %v", n, view.ChipCondition, got.State, got.Attention, err)
		}
		checkChip(t, r, next, seq+1, cur)
		checkStrip(t, r, got)
		r.strip.InsertCard()
		cur, seq = next, seq+1
	}
	t.Logf("chip conditions after a removal: %v", seen)
	for _, c := range []rewrite.ChipCondition{rewrite.ChipOld, rewrite.ChipTorn, rewrite.ChipNew} {
		if seen[c] == 0 {
			t.Errorf("no removal left the card with chip condition %s (seen %v)", c, seen)
		}
	}
	r.push(t)
	if got := r.central.cardHouseCode(t, serial.String()); got != cur.HouseCode {
		t.Fatalf("central house code %s, want %s", got, cur.HouseCode)
	}
}

// TestRewriteTornWrite tears each UPDATE BINARY of the chip phase halfway
// (two address chunks and the commit marker), then finishes or rolls back.
func TestRewriteTornWrite(t *testing.T) {
	r, app, serial := issuedRig(t, rigOptions{})
	ctx := testCtx(t)
	cur, seq := app.Address, uint16(1)
	for i, tc := range []struct {
		update int
		choice rewrite.Choice
	}{
		{1, rewrite.ChoiceResume}, {1, rewrite.ChoiceRollBack},
		{2, rewrite.ChoiceResume}, {2, rewrite.ChoiceRollBack},
		{3, rewrite.ChoiceResume}, {3, rewrite.ChoiceRollBack},
	} {
		t.Run(fmt.Sprintf("update %d %s", tc.update, tc.choice), func(t *testing.T) {
			next := r.otherHouseCode(t, cur, i)
			armAt(r, rewrite.StepChipWrite, simcard.Faults{TearUpdate: tc.update})
			job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
			if err != nil {
				t.Fatal(err)
			}
			if job.State != rewrite.NeedsAttention {
				t.Fatalf("job %s, want needs_attention", job.State)
			}
			presentAgain(t, r, serial)
			view, err := r.svc.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if view.ChipCondition != rewrite.ChipTorn {
				t.Fatalf("chip condition %q after a torn write, want torn (read error %q)", view.ChipCondition,
					view.ReadError)
			}
			if tc.choice == rewrite.ChoiceRollBack {
				if _, err := r.svc.RollBack(ctx, r.tech, job.ID); err != nil {
					t.Fatal(err)
				}
				checkRolledBack(t, r, cur, seq)
				return
			}
			got, err := r.svc.Resume(ctx, r.tech, job.ID)
			if err != nil || got.State != rewrite.Done {
				t.Fatalf("Resume: %s %q %v", got.State, got.Attention, err)
			}
			checkChip(t, r, next, seq+1, cur)
			checkStrip(t, r, got)
			r.strip.InsertCard()
			cur, seq = next, seq+1
		})
	}
}

// TestRewriteCardBackInTime removes the card mid-write and presents it
// again while the chip step still waits for it: the job finishes by itself.
func TestRewriteCardBackInTime(t *testing.T) {
	r, app, serial := issuedRig(t, rigOptions{representWait: 20 * time.Second})
	ctx := testCtx(t)
	cur, seq := app.Address, uint16(1)
	for i, n := range []int{6, 12, 16} {
		next := r.otherHouseCode(t, cur, i)
		back := make(chan error, 1)
		armed := false
		rewrite.SetHook(r.svc, func(s string) {
			if s != rewrite.StepChipWrite || armed {
				return
			}
			armed = true
			r.cards.SetFaults(simcard.Faults{RemoveAfter: n})
			go func() {
				wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if err := r.waitGone(wctx); err != nil {
					back <- err
					return
				}
				back <- r.cards.Insert(serial)
			}()
		})
		job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-back; err != nil {
			t.Fatalf("command %d: present the card again: %v", n, err)
		}
		if job.State != rewrite.Done {
			t.Fatalf("command %d: job %s %q, want done", n, job.State, job.Attention)
		}
		checkChip(t, r, next, seq+1, cur)
		r.strip.InsertCard()
		cur, seq = next, seq+1
	}
}

// TestRewriteWrongCardRefused interrupts a change and presents a different
// card: resume and roll-back refuse it and leave both cards as they are.
func TestRewriteWrongCardRefused(t *testing.T) {
	r, app, serial := issuedRig(t, rigOptions{})
	ctx := testCtx(t)
	next := r.otherHouseCode(t, app.Address, 0)
	armAt(r, rewrite.StepChipWrite, simcard.Faults{RemoveAfter: 14})
	job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != rewrite.NeedsAttention {
		t.Fatalf("job %s, want needs_attention", job.State)
	}
	r.waitRemoved(t)
	otherApp := r.application(t, station, 1)
	other := r.issueCard(t, otherApp, sealCentral)
	for _, act := range []func(context.Context) error{
		func(ctx context.Context) error { _, err := r.svc.Resume(ctx, r.tech, job.ID); return err },
		func(ctx context.Context) error { _, err := r.svc.RollBack(ctx, r.tech, job.ID); return err },
	} {
		err := act(ctx)
		if !errors.Is(err, devices.ErrWrongCard) || !strings.Contains(err.Error(), serial.String()) {
			t.Fatalf("%v, want ErrWrongCard naming card %s", err, serial)
		}
	}
	if c := r.readCard(t); c.Serial != other || c.Sequence != 1 || c.Data.Address != chipAddr(otherApp.Address) {
		t.Fatalf("the other card changed: %s sequence %d", c.Serial, c.Sequence)
	}
	if j, err := r.svc.Job(ctx, job.ID); err != nil || j.State != rewrite.NeedsAttention {
		t.Fatalf("job after refusals: %s %v", j.State, err)
	}

	r.cards.Remove()
	presentAgain(t, r, serial)
	if _, err := r.svc.Start(ctx, r.tech, r.otherHouseCode(t, app.Address, 1).HouseCode); !errors.Is(err, rewrite.ErrOpenJob) {
		t.Fatalf("Start on a card with an open job: %v, want ErrOpenJob", err)
	}
	got, err := r.svc.Resume(ctx, r.tech, job.ID)
	if err != nil || got.State != rewrite.Done {
		t.Fatalf("Resume: %s %v", got.State, err)
	}
	checkChip(t, r, next, 2, app.Address)
}

// TestRewriteStripFailure fails the rewriter after the chip was updated.
func TestRewriteStripFailure(t *testing.T) {
	r, app, serial := issuedRig(t, rigOptions{stripEmpty: true})
	ctx := testCtx(t)
	next := r.otherHouseCode(t, app.Address, 0)
	rewrite.SetHook(r.svc, func(s string) {
		if s == rewrite.StepStripWait {
			r.strip.SetCoverOpen(true)
			r.strip.InsertCard()
		}
	})
	job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != rewrite.NeedsAttention || job.AttentionFrom != rewrite.StripPrinting ||
		!strings.HasPrefix(job.Attention, "chip updated, strip not reprinted") ||
		!slices.Equal(job.Choices, []rewrite.Choice{rewrite.ChoiceReprint}) {
		t.Fatalf("job %s from %s %q choices %v", job.State, job.AttentionFrom, job.Attention, job.Choices)
	}
	checkChip(t, r, next, 2, app.Address)
	if n := len(r.strip.Images()); n != 0 {
		t.Fatalf("the rewriter printed %d strips with its cover open", n)
	}
	if n := countRows(t, r, `SELECT count(*) FROM sync_outbox WHERE kind = 'address_changed'`); n != 1 {
		t.Fatalf("%d address records queued, want 1: the chip changed", n)
	}
	if _, err := r.svc.Resume(ctx, r.tech, job.ID); !errors.Is(err, rewrite.ErrChoice) {
		t.Fatalf("Resume of a strip failure: %v, want ErrChoice", err)
	}
	if _, err := r.svc.Reprint(ctx, r.clerk, job.ID); err == nil {
		t.Fatal("a clerk reprinted the strip")
	}

	rewrite.SetHook(r.svc, func(string) {})
	r.strip.SetCoverOpen(false)
	got, err := r.svc.Reprint(ctx, r.tech, job.ID)
	if err != nil || got.State != rewrite.Done || got.StripPrints != 1 {
		t.Fatalf("Reprint: %s prints %d %v", got.State, got.StripPrints, err)
	}
	checkStrip(t, r, got)
	checkChip(t, r, next, 2, app.Address)

	r.strip.InsertCard()
	if got, err = r.svc.Reprint(ctx, r.tech, job.ID); err != nil || got.StripPrints != 2 {
		t.Fatalf("second Reprint of a done job: prints %d %v", got.StripPrints, err)
	}
	checkAudit(t, r, []string{rewrite.ActionStart, rewrite.ActionChip, rewrite.ActionNeeds, rewrite.ActionReprint,
		rewrite.ActionReprint})
	r.push(t)
	if got := r.central.cardHouseCode(t, serial.String()); got != next.HouseCode {
		t.Fatalf("central house code %s, want %s", got, next.HouseCode)
	}
}

// TestRewriteHistoryFull changes the address of a card whose cyclic
// history is full: the oldest entry is replaced.
func TestRewriteHistoryFull(t *testing.T) {
	r, app, _ := issuedRig(t, rigOptions{})
	ctx := testCtx(t)
	cur := app.Address
	for i := range permitcard.HistoryRecords {
		next := r.otherHouseCode(t, cur, i%2)
		if _, err := r.enc.UpdateAddress(ctx, permitcard.Serial{}, chipAddr(next), time.Now()); err != nil {
			t.Fatal(err)
		}
		cur = next
	}
	before := r.readCard(t)
	if len(before.History) != permitcard.HistoryRecords || before.History[len(before.History)-1].Sequence != 1 {
		t.Fatalf("history before: %d entries, oldest %d", len(before.History), before.History[len(before.History)-1].Sequence)
	}
	next := r.otherHouseCode(t, cur, 0)
	job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
	if err != nil || job.State != rewrite.Done {
		t.Fatalf("Start: %s %q %v", job.State, job.Attention, err)
	}
	after := checkChip(t, r, next, 12, cur)
	if len(after.History) != permitcard.HistoryRecords {
		t.Fatalf("history after: %d entries, want %d", len(after.History), permitcard.HistoryRecords)
	}
	if oldest := after.History[len(after.History)-1]; oldest.Sequence != 2 {
		t.Fatalf("oldest history entry has sequence %d, want 2 (sequence 1 replaced)", oldest.Sequence)
	}
	view, err := r.svc.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.History) != permitcard.HistoryRecords || view.History[0].Sequence != 11 {
		t.Fatalf("Read history: %d entries, newest %+v", len(view.History), view.History[0])
	}
	checkStrip(t, r, job)
}

// TestRewriteOfflineThenSync changes an address while the central system is
// down, from the cached register, and sends the change when it is back.
func TestRewriteOfflineThenSync(t *testing.T) {
	r, app, serial := issuedRig(t, rigOptions{})
	ctx := testCtx(t)
	r.central.stop()
	next := r.otherHouseCode(t, app.Address, 0)
	view, err := r.svc.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if view.RevocationOnline || !strings.Contains(view.RevocationNote, "revocation feed") {
		t.Fatalf("offline revocation check: online %t note %q", view.RevocationOnline, view.RevocationNote)
	}
	job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
	if err != nil || job.State != rewrite.Done {
		t.Fatalf("offline Start: %s %q %v", job.State, job.Attention, err)
	}
	if job.LookupOnline {
		t.Fatal("job says the house code was looked up online while the central system was down")
	}
	checkChip(t, r, next, 2, app.Address)
	checkStrip(t, r, job)
	if _, err := r.sync.Push(ctx); err == nil {
		t.Fatal("push succeeded while the central system was down")
	}
	st, err := r.sync.Status(ctx)
	if err != nil || st.OutboxDepth != 1 {
		t.Fatalf("outbox depth %d (%v), want the address record waiting", st.OutboxDepth, err)
	}

	r.central.serve(t, r.central.addr)
	rep := r.push(t)
	if rep.Accepted != 1 {
		t.Fatalf("push after the link came back: %+v", rep)
	}
	if got := r.central.cardHouseCode(t, serial.String()); got != next.HouseCode {
		t.Fatalf("central house code %s, want %s", got, next.HouseCode)
	}
}

// TestRewriteCardFromOtherStation refuses a card whose permit was issued
// for another station's application and leaves it unchanged.
func TestRewriteCardFromOtherStation(t *testing.T) {
	ds := testSeed(t)
	c := startCentral(t, ds)
	r := newRig(t, c, rigOptions{})
	r.pull(t)
	var app permit.Application
	for _, a := range ds.Applications {
		if a.StationID == "DEV-0002" && a.PermitNumber != "" {
			app = seedApplication(t, a)
			break
		}
	}
	serial := r.issueCard(t, app, sealCentral)
	view, err := r.svc.Read(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !view.SealValid || view.StationID != "DEV-0002" {
		t.Fatalf("card view seal %t station %s", view.SealValid, view.StationID)
	}
	_, err = r.svc.Start(testCtx(t), r.tech, r.otherHouseCode(t, app.Address, 0).HouseCode)
	if !errors.Is(err, rewrite.ErrNotRegistered) || !strings.Contains(err.Error(), "DEV-0002") ||
		!strings.Contains(err.Error(), app.PermitNumber) {
		t.Fatalf("Start: %v, want ErrNotRegistered naming DEV-0002 and %s", err, app.PermitNumber)
	}
	unchanged(t, r, app.Address)
	if got := r.readCard(t).Serial; got != serial {
		t.Fatalf("card %s in the reader, want %s", got, serial)
	}
}

// TestRewriteRecoverAfterStop stops the job goroutine at two points, as a
// crash would, and recovers the jobs with a new service on the same data.
func TestRewriteRecoverAfterStop(t *testing.T) {
	r, app, _ := issuedRig(t, rigOptions{})
	ctx := testCtx(t)
	cur, seq := app.Address, uint16(1)
	for i, step := range []string{rewrite.StepChipWrite, rewrite.StepStripPrint} {
		next := r.otherHouseCode(t, cur, i)
		rewrite.SetHook(r.svc, func(s string) {
			if s == step {
				runtime.Goexit()
			}
		})
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			_, _ = r.svc.Start(ctx, r.tech, next.HouseCode)
		}()
		<-stopped
		rewrite.SetHook(r.svc, func(string) {})
		n, err := r.svc.Recover(ctx)
		if err != nil || n != 1 {
			t.Fatalf("stop at %s: Recover %d %v, want 1 job", step, n, err)
		}
		jobs, err := r.svc.Jobs(ctx, []rewrite.State{rewrite.NeedsAttention}, 0)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("jobs needing attention: %d %v", len(jobs), err)
		}
		job := jobs[0]
		var got rewrite.Job
		if step == rewrite.StepChipWrite {
			if job.AttentionFrom != rewrite.ChipWriting {
				t.Fatalf("attention from %s, want chip_writing", job.AttentionFrom)
			}
			got, err = r.svc.Resume(ctx, r.tech, job.ID)
		} else {
			if !strings.HasPrefix(job.Attention, "chip updated, strip not reprinted") {
				t.Fatalf("attention %q", job.Attention)
			}
			got, err = r.svc.Reprint(ctx, r.tech, job.ID)
		}
		if err != nil || got.State != rewrite.Done {
			t.Fatalf("stop at %s: finish: %s %v", step, got.State, err)
		}
		checkChip(t, r, next, seq+1, cur)
		checkStrip(t, r, got)
		r.strip.InsertCard()
		cur, seq = next, seq+1
	}
	if rep, err := audit.Verify(ctx, r.db); err != nil {
		t.Fatalf("audit chain: %v %+v", err, rep)
	}
}
