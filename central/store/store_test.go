package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
)

func openSeeded(t *testing.T) (*Store, *seed.Dataset) {
	t.Helper()
	ds, err := seed.Generate(seed.Options{Stations: []seed.Station{{ID: "DEV-0001", Approved: 5, Pending: 2}},
		ExtraHouseCodes: 3, RetiredHouseCodes: 1, NoPhotos: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	key, err := pki.CreateSealKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), Options{Dir: t.TempDir(), Now: func() time.Time { return now },
		SealKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Seed(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	return st, ds
}

func TestApproveAssignsPermitAndSequence(t *testing.T) {
	st, ds := openSeeded(t)
	ctx := context.Background()
	pending := ds.Applications[5]
	before, _ := st.MaxSeq(ctx)

	a, err := st.Approve(ctx, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Seq != before+1 {
		t.Errorf("sequence %d, want %d", a.Seq, before+1)
	}
	if a.PermitNumber != "SZ202600000006" {
		t.Errorf("permit number %s, want the next serial SZ202600000006", a.PermitNumber)
	}
	if got := a.ValidFrom.Format(time.DateOnly) + "/" + a.ValidTo.Format(time.DateOnly); got != "2026-11-20/2027-11-19" {
		t.Errorf("validity %s", got)
	}
	if _, err := st.Approve(ctx, pending.ID); !errors.Is(err, ErrState) {
		t.Errorf("second approval: %v, want ErrState", err)
	}
	if _, err := st.Approve(ctx, "JZ-missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown application: %v, want ErrNotFound", err)
	}
}

func TestRevokeCancelsOrRevokes(t *testing.T) {
	st, ds := openSeeded(t)
	ctx := context.Background()
	issued, approved, pending := ds.Applications[0], ds.Applications[1], ds.Applications[6]
	rec := api.Record{IdempotencyKey: "DEV-0001-test-1", Kind: api.KindIssued, ApplicationId: issued.ID,
		PermitNumber: issued.PermitNumber, CardSerial: "CARD-1", StationTime: time.Now()}
	res, err := st.PushRecords(ctx, "DEV-0001", []api.Record{rec}, nil)
	if err != nil || res[0].Status != api.StatusAccepted {
		t.Fatalf("issue: %+v, %v", res, err)
	}

	cases := []struct {
		target string
		want   api.RevocationKind
	}{
		{issued.PermitNumber, api.KindRevoked},
		{approved.ID, api.KindCancelled},
	}
	for _, tc := range cases {
		r, err := st.Revoke(ctx, tc.target, "test")
		if err != nil {
			t.Fatalf("revoke %s: %v", tc.target, err)
		}
		if r.Kind != tc.want {
			t.Errorf("revoke %s: kind %s, want %s", tc.target, r.Kind, tc.want)
		}
	}
	if _, err := st.Revoke(ctx, pending.ID, "test"); !errors.Is(err, ErrState) {
		t.Errorf("revoke pending: %v, want ErrState", err)
	}
	if _, err := st.Revoke(ctx, approved.ID, ""); err == nil {
		t.Error("revoke without a reason succeeded")
	}
	revs, more, err := st.Revocations(ctx, 0, 10)
	if err != nil || more || len(revs) != 2 {
		t.Errorf("revocation feed: %d items, more %v, %v", len(revs), more, err)
	}
	known, rev, err := st.PermitStatus(ctx, issued.PermitNumber)
	if err != nil || !known || rev == nil || rev.Kind != api.KindRevoked {
		t.Errorf("permit status: known %v, %+v, %v", known, rev, err)
	}
}
