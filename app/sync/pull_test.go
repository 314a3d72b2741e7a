package sync

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"

	"permitdesk/central/server"
)

func TestPullSeededApplications(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{options: func(o *Options) { o.PageSize = 200 }})
	ctx := context.Background()

	rep, err := s.svc.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := approved(ds, "DEV-0001")
	if rep.Applications != len(want) {
		t.Errorf("pulled %d applications, want %d", rep.Applications, len(want))
	}
	if rep.HouseCodes != len(ds.HouseCodes) {
		t.Errorf("pulled %d house codes, want %d", rep.HouseCodes, len(ds.HouseCodes))
	}
	again, err := s.svc.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again != (PullReport{}) {
		t.Errorf("second pull stored %+v, want nothing new", again)
	}

	w := want[17]
	got, err := s.svc.Application(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Holder.IDNumber != w.Holder.IdNumber || got.PermitNumber != w.PermitNumber ||
		got.Address.HouseCode != w.Address.HouseCode || got.Holder.Name != w.Holder.Name {
		t.Errorf("application %s maps to %+v", w.ID, got)
	}
	if got.ValidTo.Format("2006-01-02") != w.ValidTo {
		t.Errorf("valid to %s, want %s", got.ValidTo.Format("2006-01-02"), w.ValidTo)
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(got.Photo)); err != nil {
		t.Errorf("cached portrait is not a JPEG: %v", err)
	}
	byID, err := s.svc.ApplicationsByIDNumber(ctx, w.Holder.IdNumber)
	if err != nil || len(byID) != 1 || byID[0].ID != w.ID {
		t.Errorf("by identity number: %v, %v", byID, err)
	}
	st := mustStatus(t, s)
	if !st.Online || st.Cursors[FeedApplications] == 0 || st.Applications != len(want) {
		t.Errorf("status after pull: %+v", st)
	}
}

func TestPullWithoutPhotosFetchesOnDemand(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{options: func(o *Options) { o.SkipPhotos = true }})
	ctx := context.Background()
	if _, err := s.svc.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	var cached int
	if err := s.db.QueryRow(`SELECT count(*) FROM sync_applications WHERE photo IS NOT NULL`).Scan(&cached); err != nil {
		t.Fatal(err)
	}
	if cached != 0 {
		t.Errorf("%d portraits cached by a pull without photos", cached)
	}
	a := approved(ds, "DEV-0001")[3]
	got, err := s.svc.Application(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Photo, a.Photo) {
		t.Errorf("portrait fetched on demand has %d bytes, want the seeded %d", len(got.Photo), len(a.Photo))
	}
}

func TestApprovalAndRevocationReachStation(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	ctx := context.Background()
	if _, err := s.svc.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	var pending string
	for _, a := range ds.Applications {
		if a.StationID == "DEV-0001" && a.Status != "approved" {
			pending = a.ID
			break
		}
	}

	newApp, err := c.store.Approve(ctx, pending)
	if err != nil {
		t.Fatal(err)
	}
	cancelled := approved(ds, "DEV-0001")[0]
	if _, err := c.store.Revoke(ctx, cancelled.ID, "applicant moved out of Shenzhen"); err != nil {
		t.Fatal(err)
	}

	rep, err := s.svc.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Applications != 1 || rep.Revocations != 1 {
		t.Errorf("pull after approval and cancellation: %+v, want 1 application and 1 revocation", rep)
	}
	if _, err := s.svc.Application(ctx, pending); err != nil {
		t.Errorf("newly approved application %s: %v", pending, err)
	}
	check, err := s.svc.CheckRevoked(ctx, cancelled.PermitNumber)
	if err != nil {
		t.Fatal(err)
	}
	if !check.Online || !check.Revoked || check.Kind != "cancelled" {
		t.Errorf("online check of %s: %+v", cancelled.PermitNumber, check)
	}
	if newApp.PermitNumber == "" {
		t.Error("approval assigned no permit number")
	}
	byID, err := s.svc.ApplicationsByIDNumber(ctx, cancelled.Holder.IdNumber)
	if err != nil || len(byID) != 0 {
		t.Errorf("cancelled application still offered for issuance: %v, %v", byID, err)
	}
	if _, err := s.svc.Application(ctx, cancelled.ID); !errors.Is(err, ErrApplicationWithdrawn) {
		t.Errorf("cancelled application %s: %v, want ErrApplicationWithdrawn", cancelled.ID, err)
	}
}
