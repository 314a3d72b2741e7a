package sync

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/central/pki"
	"permitdesk/central/server"
)

func TestClockSkew(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	cases := []struct {
		name   string
		offset time.Duration
		dir    string
	}{
		{"one hour behind", -time.Hour, "behind"},
		{"ten minutes ahead", 10 * time.Minute, "ahead of"},
		{"two days ahead", 48 * time.Hour, "ahead of"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStation(t, c, stationOptions{offset: tc.offset})
			a := approved(ds, "DEV-0001")[i]
			key := enqueue(t, s, Record{Kind: KindIssued, ApplicationID: a.ID, PermitNumber: a.PermitNumber, CardSerial: cardSerial(500 + i)})
			if _, err := s.svc.SyncOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := mustStatus(t, s)
			if st.ClockSkewMs == nil {
				t.Fatal("no clock skew measured")
			}
			skew := time.Duration(*st.ClockSkewMs) * time.Millisecond
			if d := abs(skew + tc.offset); d > 2*time.Second {
				t.Errorf("measured skew %v, want about %v", skew, -tc.offset)
			}
			if !strings.Contains(st.ClockWarning, tc.dir) {
				t.Errorf("clock warning %q does not say %q", st.ClockWarning, tc.dir)
			}
			rec := centralRecord(t, c, key)
			if d := abs(rec.StationTime.Sub(time.Now().Add(tc.offset))); d > time.Minute {
				t.Errorf("central stored station time %v, off by %v", rec.StationTime, d)
			}
			if corrected := rec.StationTime.Add(time.Duration(rec.ClockSkewMs) * time.Millisecond); abs(corrected.Sub(rec.ReceivedAt)) > time.Minute {
				t.Errorf("station time corrected by the reported skew is %v, received %v", corrected, rec.ReceivedAt)
			}
		})
	}
}

func TestOrderFollowsServerSequence(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	apps := approved(ds, "DEV-0001")
	first := enqueue(t, s, Record{Kind: KindIssued, ApplicationID: apps[0].ID, PermitNumber: apps[0].PermitNumber, CardSerial: cardSerial(0)})
	s.clock.Advance(-time.Hour)
	second := enqueue(t, s, Record{Kind: KindIssued, ApplicationID: apps[1].ID, PermitNumber: apps[1].PermitNumber, CardSerial: cardSerial(1)})
	if _, err := s.svc.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, b := centralRecord(t, c, first), centralRecord(t, c, second)
	if !b.StationTime.Before(a.StationTime) {
		t.Fatalf("test setup: second station time %v not before first %v", b.StationTime, a.StationTime)
	}
	if a.Seq >= b.Seq {
		t.Errorf("central sequences %d and %d do not follow the queue order", a.Seq, b.Seq)
	}
}

func centralRecord(t *testing.T, c *central, key string) (r struct {
	Seq                     int64
	StationTime, ReceivedAt time.Time
	ClockSkewMs             int64
}) {
	t.Helper()
	recs, err := c.store.Records(context.Background(), "DEV-0001")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range recs {
		if x.IdempotencyKey == key {
			r.Seq, r.StationTime, r.ReceivedAt, r.ClockSkewMs = x.Seq, x.StationTime, x.ReceivedAt, x.ClockSkewMs
			return r
		}
	}
	t.Fatalf("central has no record %s", key)
	return r
}

func TestCertificateRefused(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	expiredCert, expiredKey, err := c.ca.IssueClient("DEV-0003", pki.RoleStation, time.Now(), -24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(t.TempDir(), "other")
	if _, err := pki.Init(pki.InitOptions{Dir: otherDir}); err != nil {
		t.Fatal(err)
	}
	foreignCert, foreignKey := pki.StationFiles(otherDir, "DEV-0001")
	adminCert, adminKey := pki.AdminFiles(c.pkiDir)
	cases := []struct {
		name    string
		so      stationOptions
		want    error
		message string
	}{
		{"expired station certificate", stationOptions{certFile: expiredCert, keyFile: expiredKey}, ErrCertRejected, "has expired"},
		{"certificate of another CA", stationOptions{certFile: foreignCert, keyFile: foreignKey}, ErrCertRejected, "issued by the central CA"},
		{"server not trusted", stationOptions{caFile: filepath.Join(otherDir, pki.CAFile)}, ErrServerUntrusted, "central.ca_file"},
		{"admin certificate on the station API", stationOptions{certFile: adminCert, keyFile: adminKey}, ErrRequest, "needs a \"station\" certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStation(t, c, tc.so)
			a := approved(ds, "DEV-0001")[0]
			enqueue(t, s, Record{Kind: KindIssued, ApplicationID: a.ID, PermitNumber: a.PermitNumber, CardSerial: "04A1DEAD"})
			_, err := s.svc.Push(context.Background())
			wantErr(t, err, tc.want)
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message %q does not contain %q", err, tc.message)
			}
			st := mustStatus(t, s)
			if st.OutboxDepth != 1 {
				t.Errorf("outbox depth %d after the refusal, want the record kept", st.OutboxDepth)
			}
			if st.OfflineSince == nil || !strings.Contains(st.LastError, tc.message) {
				t.Errorf("status does not show the refusal: offline since %v, last error %q", st.OfflineSince, st.LastError)
			}
		})
	}
}

func TestMalformedReplyKeepsCursor(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{MalformedNext: 1})
	s := newStation(t, c, stationOptions{})
	ctx := context.Background()
	_, err := s.svc.Pull(ctx)
	wantErr(t, err, ErrMalformed)
	st := mustStatus(t, s)
	if st.Cursors[FeedApplications] != 0 || st.Applications != 0 {
		t.Errorf("malformed page moved the cursor to %d and stored %d applications", st.Cursors[FeedApplications], st.Applications)
	}
	if st.OfflineSince == nil || !strings.Contains(st.LastError, "malformed") {
		t.Errorf("status after a malformed reply: %+v", st)
	}
	if _, err := s.svc.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if st := mustStatus(t, s); st.Applications != len(approved(ds, "DEV-0001")) {
		t.Errorf("%d applications after the retry", st.Applications)
	}
}

func TestOversizedAndMalformedPushKeepOutbox(t *testing.T) {
	ds := committedSeed(t)
	for _, tc := range []struct {
		name   string
		faults server.Faults
		want   error
	}{
		{"oversized", server.Faults{OversizeNext: 1, OversizeBytes: 3 << 20}, ErrTooLarge},
		{"malformed", server.Faults{MalformedNext: 1}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCentral(t, ds, tc.faults)
			s := newStation(t, c, stationOptions{maxReply: 1 << 20})
			s.enqueueIssued(t, approved(ds, "DEV-0001")[:10])
			_, err := s.svc.Push(context.Background())
			wantErr(t, err, tc.want)
			if st := mustStatus(t, s); st.OutboxDepth != 10 {
				t.Fatalf("outbox depth %d after a bad reply, want 10", st.OutboxDepth)
			}
			rep, err := s.svc.Push(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Duplicate != 10 {
				t.Errorf("retry %+v, want 10 duplicates of the records committed before the bad reply", rep)
			}
		})
	}
}

func TestLookupsFallBackOffline(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	ctx := context.Background()
	apps := approved(ds, "DEV-0001")
	if _, err := c.store.Revoke(ctx, apps[2].PermitNumber, "duplicate application"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	code := apps[5].Address.HouseCode
	online, err := s.svc.LookupHouseCode(ctx, code)
	if err != nil || !online.Online || online.Address.Detail != apps[5].Address.Detail {
		t.Fatalf("online lookup of %s: %+v, %v", code, online, err)
	}
	_, err = s.svc.LookupHouseCode(ctx, "4403049999999999999")
	wantErr(t, err, ErrHouseCodeNotFound)

	c.stop()

	offline, err := s.svc.LookupHouseCode(ctx, code)
	if err != nil || offline.Online || offline.Address != online.Address || offline.AsOf.IsZero() {
		t.Errorf("offline lookup of %s: %+v, %v", code, offline, err)
	}
	rev, err := s.svc.CheckRevoked(ctx, apps[2].PermitNumber)
	if err != nil || rev.Online || !rev.Revoked || rev.Kind != "cancelled" || rev.OnlineError == "" {
		t.Errorf("offline revocation check: %+v, %v", rev, err)
	}
	clean, err := s.svc.CheckRevoked(ctx, apps[3].PermitNumber)
	if err != nil || clean.Online || clean.Revoked || clean.AsOf.IsZero() {
		t.Errorf("offline check of a valid permit: %+v, %v", clean, err)
	}
	st := mustStatus(t, s)
	if st.Online || st.OfflineSince == nil {
		t.Errorf("status with the server down: online %v, offline since %v", st.Online, st.OfflineSince)
	}
}

func TestEnqueueNeverWaitsForLink(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{LatencyMs: 5000})
	s := newStation(t, c, stationOptions{options: func(o *Options) { o.Interval = time.Hour }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.svc.Run(ctx) }()
	start := time.Now()
	s.enqueueIssued(t, approved(ds, "DEV-0001")[:3])
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("enqueue took %v while the central system was slow", d)
	}
	st := mustStatus(t, s)
	if st.OutboxDepth != 3 {
		t.Errorf("outbox depth %d, want 3", st.OutboxDepth)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestRunRecoversAfterOutage(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	addr := strings.TrimPrefix(c.url, "https://")
	rounds := make(chan error, 100)
	s := newStation(t, c, stationOptions{options: func(o *Options) {
		o.Interval = time.Hour
		o.OnRound = func(_ Report, err error) { rounds <- err }
	}})
	c.stop()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.svc.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	s.enqueueIssued(t, approved(ds, "DEV-0001")[:3])
	if err := <-rounds; !errors.Is(err, ErrOffline) {
		t.Fatalf("first round with the server down: %v", err)
	}
	st := mustStatus(t, s)
	if st.OfflineSince == nil || st.OutboxDepth != 3 {
		t.Fatalf("while down: offline since %v, depth %d", st.OfflineSince, st.OutboxDepth)
	}

	c.start(t, addr)
	t.Cleanup(c.stop)
	for i := 0; ; i++ {
		err := <-rounds
		if err == nil {
			break
		}
		if i > 50 {
			t.Fatalf("no successful round after the server came back: %v", err)
		}
	}
	st = mustStatus(t, s)
	if st.OfflineSince != nil || st.OutboxDepth != 0 || st.Sent != 3 || st.Applications == 0 {
		t.Errorf("after recovery: %+v", st)
	}
}
