package rewrite_test

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"strings"
	"testing"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
	"permitdesk/app/permit"
	"permitdesk/app/rewrite"
	"permitdesk/devices/permitcard"
)

func addr(a permit.Address) rewrite.Address {
	return rewrite.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail, Line: a.Line()}
}

func chipAddr(a permit.Address) permitcard.Address {
	return permitcard.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
		Community: a.Community, Detail: a.Detail}
}

// checkChip reads the card and checks its address, sequence and newest
// history entry.
func checkChip(t *testing.T, r *rig, want permit.Address, seq uint16, prev permit.Address) permitcard.Card {
	t.Helper()
	c := r.readCard(t)
	if c.State != permitcard.StatePersonalised {
		t.Fatalf("chip state %s, want personalised", c.State)
	}
	if c.Data.Address != chipAddr(want) {
		t.Fatalf("chip address %+v, want %+v", c.Data.Address, chipAddr(want))
	}
	if c.Sequence != seq {
		t.Fatalf("chip sequence %d, want %d", c.Sequence, seq)
	}
	if len(c.History) == 0 {
		t.Fatal("chip history is empty")
	}
	if c.History[0].Sequence != seq-1 || c.History[0].Address != chipAddr(prev) {
		t.Fatalf("newest history entry %d %+v, want %d %+v", c.History[0].Sequence, c.History[0].Address,
			seq-1, chipAddr(prev))
	}
	return c
}

// checkStrip compares the strip on the card and the last PNG the rewriter
// wrote with the strip rendered for job.
func checkStrip(t *testing.T, r *rig, job rewrite.Job) {
	t.Helper()
	want, err := r.svc.StripImage(job)
	if err != nil {
		t.Fatal(err)
	}
	if !sameImage(r.strip.Image(), want) {
		t.Fatal("strip on the card differs from the strip rendered for the new address")
	}
	files := r.strip.Images()
	if len(files) == 0 {
		t.Fatal("the rewriter wrote no strip PNG")
	}
	b, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !sameImage(img, want) {
		t.Fatalf("strip PNG %s differs from the strip rendered for the new address", files[len(files)-1])
	}
}

func countRows(t *testing.T, r *rig, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRewriteHappyPath(t *testing.T) {
	c := startCentral(t, testSeed(t))
	r := newRig(t, c, rigOptions{})
	r.pull(t)
	app := r.application(t, station, 0)
	serial := r.issueCard(t, app, sealCentral)
	r.reportIssued(t, app, serial)
	r.push(t)
	ctx := testCtx(t)

	view, err := r.svc.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if view.Serial != serial.String() || view.Holder.Name != app.Holder.Name || !view.SealValid || view.Revoked {
		t.Fatalf("card view %+v", view)
	}
	if view.Address != addr(app.Address) || view.Sequence != 1 || len(view.History) != 0 {
		t.Fatalf("card view address %+v sequence %d history %d", view.Address, view.Sequence, len(view.History))
	}
	if strings.Contains(view.Holder.IDNumber, app.Holder.IDNumber) {
		t.Fatalf("card view shows the ID number in full: %s", view.Holder.IDNumber)
	}

	next := r.otherHouseCode(t, app.Address, 0)
	prop, err := r.svc.Check(ctx, r.tech, next.HouseCode)
	if err != nil {
		t.Fatal(err)
	}
	if prop.NewAddress != addr(next) || !prop.LookupOnline {
		t.Fatalf("proposal %+v, want %+v online", prop.NewAddress, addr(next))
	}
	preview, err := r.svc.Preview(prop.Card.Address, prop.NewAddress)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(preview.Old, preview.New) || len(preview.Old) == 0 {
		t.Fatal("old and new strip previews are empty or equal")
	}

	events, stop := r.svc.Subscribe(0)
	defer stop()
	job, err := r.svc.Start(ctx, r.tech, next.HouseCode)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != rewrite.Done || job.NewSequence != 2 || job.StripPrints != 1 {
		t.Fatalf("job %+v, want done with sequence 2 and one strip", job)
	}
	checkChip(t, r, next, 2, app.Address)
	checkStrip(t, r, job)

	var steps []string
	for len(events) > 0 {
		steps = append(steps, (<-events).Step)
	}
	wantSteps := []string{rewrite.StepCheck, rewrite.StepChipWrite, rewrite.StepChipVerify, rewrite.StepRecord,
		rewrite.StepStripPrint, rewrite.StepDone}
	if strings.Join(steps, ",") != strings.Join(wantSteps, ",") {
		t.Fatalf("progress steps %v, want %v", steps, wantSteps)
	}
	if snap := r.svc.Snapshot(); len(snap) != 1 || snap[0].State != rewrite.Done {
		t.Fatalf("snapshot %+v, want the job done", snap)
	}

	view, err = r.svc.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if view.Address != addr(next) || len(view.History) != 1 || view.History[0].Address != addr(app.Address) {
		t.Fatalf("card view after the change: address %+v history %+v", view.Address, view.History)
	}

	rep := r.push(t)
	if rep.Accepted != 1 {
		t.Fatalf("push %+v, want the address change accepted", rep)
	}
	if got := c.cardHouseCode(t, serial.String()); got != next.HouseCode {
		t.Fatalf("central house code %s, want %s", got, next.HouseCode)
	}
	checkAudit(t, r, []string{rewrite.ActionStart, rewrite.ActionChip, audit.ActionRewrite})
}

// checkAudit verifies the chain and that the rewrite actions appear in order.
func checkAudit(t *testing.T, r *rig, want []string) {
	t.Helper()
	rep, err := audit.Verify(testCtx(t), r.db)
	if err != nil {
		t.Fatalf("audit chain: %v (%+v)", err, rep)
	}
	rows, err := r.db.Query(`SELECT action FROM audit_log WHERE action LIKE 'rewrite%' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit actions %v, want %v", got, want)
	}
}

func TestRewriteRefusals(t *testing.T) {
	c := startCentral(t, testSeed(t))
	r := newRig(t, c, rigOptions{})
	r.pull(t)
	ctx := testCtx(t)
	app := r.application(t, station, 1)
	signed := r.issueCard(t, app, sealCentral)
	r.reportIssued(t, app, signed)
	r.push(t)
	var retired string
	if err := r.db.QueryRow(`SELECT code FROM sync_house_codes WHERE status = 'retired' LIMIT 1`).Scan(&retired); err != nil {
		t.Fatal(err)
	}
	next := r.otherHouseCode(t, app.Address, 0)
	cases := []struct {
		name      string
		sess      *operators.Session
		houseCode string
		want      error
	}{
		{"clerk role", r.clerk, next.HouseCode, operators.ErrForbidden},
		{"no session", nil, next.HouseCode, operators.ErrNoSession},
		{"unknown house code", r.tech, "4403009999999999999", rewrite.ErrHouseCode},
		{"empty house code", r.tech, " ", rewrite.ErrHouseCode},
		{"retired house code", r.tech, retired, rewrite.ErrHouseCode},
		{"same address", r.tech, app.Address.HouseCode, rewrite.ErrSameAddress},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.svc.Start(ctx, tc.sess, tc.houseCode)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Start: %v, want %v", err, tc.want)
			}
			if tc.houseCode != "" && strings.TrimSpace(tc.houseCode) != "" && tc.want != operators.ErrForbidden &&
				tc.want != operators.ErrNoSession && !strings.Contains(err.Error(), tc.houseCode) {
				t.Fatalf("message %q does not name house code %s", err, tc.houseCode)
			}
			unchanged(t, r, app.Address)
		})
	}

	t.Run("revoked permit", func(t *testing.T) {
		if _, err := c.store.Revoke(ctx, app.PermitNumber, "holder left the city"); err != nil {
			t.Fatal(err)
		}
		_, err := r.svc.Start(ctx, r.tech, next.HouseCode)
		if !errors.Is(err, rewrite.ErrRevoked) || !strings.Contains(err.Error(), app.PermitNumber) {
			t.Fatalf("Start: %v, want ErrRevoked naming %s", err, app.PermitNumber)
		}
		unchanged(t, r, app.Address)
	})

	for i, tc := range []struct {
		name string
		seal sealKind
	}{{"seal missing", sealNone}, {"seal by untrusted key", sealForged}} {
		t.Run(tc.name, func(t *testing.T) {
			r.cards.Remove()
			r.waitRemoved(t)
			other := r.application(t, station, 2+i)
			serial := r.issueCard(t, other, tc.seal)
			if serial == signed {
				t.Fatal("the same card was issued twice")
			}
			view, err := r.svc.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if view.SealValid || view.SealError == "" {
				t.Fatalf("card view seal valid %t error %q, want invalid", view.SealValid, view.SealError)
			}
			_, err = r.svc.Start(ctx, r.tech, r.otherHouseCode(t, other.Address, 0).HouseCode)
			if !errors.Is(err, rewrite.ErrSealInvalid) || !strings.Contains(err.Error(), serial.String()) {
				t.Fatalf("Start: %v, want ErrSealInvalid naming card %s", err, serial)
			}
			unchanged(t, r, other.Address)
		})
	}
}

// unchanged checks that the card still holds addr at sequence 1 and that
// no job or outbox record was made.
func unchanged(t *testing.T, r *rig, a permit.Address) {
	t.Helper()
	c := r.readCard(t)
	if c.Sequence != 1 || c.Data.Address != chipAddr(a) || len(c.History) != 0 {
		t.Fatalf("card changed: sequence %d address %+v history %d", c.Sequence, c.Data.Address, len(c.History))
	}
	if n := countRows(t, r, `SELECT count(*) FROM rewrite_jobs`); n != 0 {
		t.Fatalf("%d rewrite jobs stored, want none", n)
	}
	if n := countRows(t, r, `SELECT count(*) FROM sync_outbox WHERE kind = 'address_changed'`); n != 0 {
		t.Fatalf("%d address records queued, want none", n)
	}
	if _, err := os.Stat(r.strip.Path()); err != nil {
		t.Fatal(err)
	}
	if n := len(r.strip.Images()); n != 0 {
		t.Fatalf("the rewriter printed %d strips, want none", n)
	}
}
