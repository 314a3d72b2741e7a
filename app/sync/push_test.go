package sync

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"permitdesk/app/store"
	"permitdesk/central/server"
)

// pushCount is the number of records the fault-tolerance test pushes;
// race_test.go lowers it for race builds.
var pushCount = 10000

func TestPushTenThousandUnderFaults(t *testing.T) {
	n := pushCount
	if testing.Short() {
		n = 1000
	}
	ds := bulkSeed(t, n)
	c := startCentral(t, ds, server.Faults{ErrorRate: 0.06, DropRate: 0.06, MalformedRate: 0.04,
		OversizeRate: 0.04, OversizeBytes: 2 << 20, PartialRate: 0.05,
		ErrorNext: 1, DropNext: 1, MalformedNext: 1, OversizeNext: 1})
	s := newStation(t, c, stationOptions{maxReply: 1 << 20})
	s.enqueueIssued(t, approved(ds, "DEV-0001"))

	rep, failures := s.drain(t, n)

	recs, err := c.store.Records(context.Background(), "DEV-0001")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Errorf("central holds %d records, want %d", len(recs), n)
	}
	perCard := map[string]int{}
	for _, r := range recs {
		perCard[r.CardSerial]++
	}
	for i := 0; i < n; i++ {
		if got := perCard[cardSerial(i)]; got != 1 {
			t.Errorf("card %s has %d central records, want 1", cardSerial(i), got)
		}
	}
	st := mustStatus(t, s)
	if st.Sent != n || st.OutboxDepth != 0 || st.Conflicts+st.Rejected != 0 {
		t.Errorf("outbox after drain: sent %d, pending %d, parked %d", st.Sent, st.OutboxDepth, st.Conflicts+st.Rejected)
	}
	stats := c.srv.Stats()
	if stats.Drops == 0 || stats.Errors == 0 || stats.Malformed == 0 || stats.Oversized == 0 || stats.Retry == 0 {
		t.Errorf("not every fault was injected: %+v", stats)
	}
	if rep.Accepted+rep.Duplicate != n {
		t.Errorf("accepted %d + duplicate %d, want %d", rep.Accepted, rep.Duplicate, n)
	}
	if rep.Duplicate == 0 {
		t.Error("no duplicate results although replies were lost after commit")
	}
	t.Logf("%d records, %d requests, %d failed pushes, server stats %+v", n, stats.Requests, failures, stats)
}

func TestPushReplyLostAfterCommit(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{DropNext: 1})
	s := newStation(t, c, stationOptions{})
	apps := approved(ds, "DEV-0001")[:5]
	s.enqueueIssued(t, apps)
	ctx := context.Background()

	_, err := s.svc.Push(ctx)
	wantErr(t, err, ErrOffline)
	recs, _ := c.store.Records(ctx, "DEV-0001")
	if len(recs) != 5 {
		t.Fatalf("central committed %d records before dropping the reply, want 5", len(recs))
	}
	if st := mustStatus(t, s); st.OutboxDepth != 5 || st.OfflineSince == nil {
		t.Fatalf("after the lost reply: %d pending, offline since %v; want 5 pending and offline", st.OutboxDepth, st.OfflineSince)
	}

	rep, err := s.svc.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Duplicate != 5 || rep.Accepted != 0 {
		t.Errorf("retry after the lost reply: %+v, want 5 duplicates", rep)
	}
	recs, _ = c.store.Records(ctx, "DEV-0001")
	if len(recs) != 5 {
		t.Errorf("central holds %d records after the retry, want 5", len(recs))
	}
	if st := mustStatus(t, s); st.OfflineSince != nil || !st.Online {
		t.Errorf("still offline after a successful push: %+v", st)
	}
}

func TestPushMixedResults(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	var alerts []Alert
	s := newStation(t, c, stationOptions{options: func(o *Options) { o.OnAlert = func(a Alert) { alerts = append(alerts, a) } }})
	ctx := context.Background()
	apps := approved(ds, "DEV-0001")
	other := approved(ds, "DEV-0002")[0]

	// A record pushed earlier by a workstation restored from a backup gives
	// a duplicate when this one sends it again under the same key.
	dup := Record{Key: "DEV-0001-job-1-issued", Kind: KindIssued, ApplicationID: apps[0].ID,
		PermitNumber: apps[0].PermitNumber, CardSerial: cardSerial(0), At: time.Now().Add(-time.Hour)}
	first := newStation(t, c, stationOptions{})
	dupKey := enqueue(t, first, dup)
	if _, err := first.svc.Push(ctx); err != nil {
		t.Fatal(err)
	}

	enqueue(t, s, dup)
	okKey := enqueue(t, s, Record{Kind: KindIssued, ApplicationID: apps[1].ID, PermitNumber: apps[1].PermitNumber, CardSerial: cardSerial(1)})
	conflictKey := enqueue(t, s, Record{Kind: KindIssued, ApplicationID: apps[0].ID, PermitNumber: apps[0].PermitNumber, CardSerial: cardSerial(99)})
	rejectKey := enqueue(t, s, Record{Kind: KindIssued, ApplicationID: other.ID, PermitNumber: other.PermitNumber, CardSerial: cardSerial(98)})
	voidKey := enqueue(t, s, Record{Kind: KindVoided, ApplicationID: apps[1].ID, PermitNumber: apps[1].PermitNumber, CardSerial: cardSerial(1), Reason: "printer jam"})

	rep, err := s.svc.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := PushReport{Batches: 1, Accepted: 2, Duplicate: 1, Conflict: 1, Rejected: 1}
	if rep != want {
		t.Errorf("push report %+v, want %+v", rep, want)
	}
	states := outboxStates(t, s)
	for key, state := range map[string]string{dupKey: "sent", okKey: "sent", conflictKey: "conflict", rejectKey: "rejected", voidKey: "sent"} {
		if states[key] != state {
			t.Errorf("record %s is %q, want %q", key, states[key], state)
		}
	}
	st := mustStatus(t, s)
	if len(st.Parked) != 2 || st.Conflicts != 1 || st.Rejected != 1 {
		t.Fatalf("parked records: %+v", st.Parked)
	}
	for _, p := range st.Parked {
		if p.Reason == "" {
			t.Errorf("parked record %s has no reason", p.Key)
		}
	}
	if len(alerts) != 2 {
		t.Errorf("%d alerts, want 2", len(alerts))
	}
	if !strings.Contains(st.Parked[0].Reason, "DEV-0002") {
		t.Errorf("rejection reason %q does not name the owning station", st.Parked[0].Reason)
	}
	again, err := s.svc.Push(ctx)
	if err != nil || again.Batches != 0 {
		t.Errorf("parked records were sent again: %+v, %v", again, err)
	}
}

func enqueue(t *testing.T, s *station, r Record) string {
	t.Helper()
	var key string
	err := store.InTx(context.Background(), s.db, func(tx *sql.Tx) error {
		var err error
		key, err = s.svc.Enqueue(context.Background(), tx, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func outboxStates(t *testing.T, s *station) map[string]string {
	t.Helper()
	rows, err := s.db.Query(`SELECT idempotency_key, state FROM sync_outbox`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, st string
		if err := rows.Scan(&k, &st); err != nil {
			t.Fatal(err)
		}
		out[k] = st
	}
	return out
}

func TestPushPartialBatchRetriesOnlyUndecided(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{PartialRate: 0.5})
	s := newStation(t, c, stationOptions{options: func(o *Options) { o.BackoffMin, o.BackoffMax = time.Minute, 5*time.Minute }})
	ctx := context.Background()
	s.enqueueIssued(t, approved(ds, "DEV-0001")[:40])
	rep, err := s.svc.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retry == 0 || rep.Accepted == 0 || rep.Accepted+rep.Retry != 40 {
		t.Fatalf("first push %+v, want a mix of accepted and retry adding up to 40", rep)
	}
	if err := c.srv.SetFaults(server.Faults{}); err != nil {
		t.Fatal(err)
	}
	retried := rep.Retry
	s.clock.Advance(5 * time.Minute)
	rep, err = s.svc.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != retried || rep.Duplicate != 0 {
		t.Errorf("second push %+v, want exactly the %d undecided records accepted", rep, retried)
	}
}

func TestPushConnectionCutAfterThirdBatch(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{CutAfterBatches: 3})
	s := newStation(t, c, stationOptions{batchSize: 25})
	ctx := context.Background()
	s.enqueueIssued(t, approved(ds, "DEV-0001")[:100])

	rep, err := s.svc.Push(ctx)
	wantErr(t, err, ErrOffline)
	if rep.Batches != 3 || rep.Accepted != 75 {
		t.Fatalf("before the cut: %+v, want 3 batches and 75 accepted", rep)
	}
	if st := mustStatus(t, s); st.OutboxDepth != 25 {
		t.Fatalf("%d records pending after the cut, want 25", st.OutboxDepth)
	}
	if err := c.srv.SetFaults(server.Faults{}); err != nil {
		t.Fatal(err)
	}
	rep, err = s.svc.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 25 || rep.Duplicate != 0 {
		t.Errorf("after the link returned: %+v, want only the 25 unsent records", rep)
	}
	stats := c.srv.Stats()
	if stats.RecordsDecided != 100 || stats.Cuts != 1 {
		t.Errorf("central decided %d records with %d cuts, want 100 and 1", stats.RecordsDecided, stats.Cuts)
	}
}

func TestEnqueueSameKeyTwice(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	a := approved(ds, "DEV-0001")[0]
	r := Record{Key: "DEV-0001-job-17-issued", Kind: KindIssued, ApplicationID: a.ID, PermitNumber: a.PermitNumber, CardSerial: "04A1FFFF0001"}
	enqueue(t, s, r)
	enqueue(t, s, r)
	if st := mustStatus(t, s); st.OutboxDepth != 1 {
		t.Errorf("%d rows for one key, want 1", st.OutboxDepth)
	}
	r.CardSerial = "04A1FFFF0002"
	err := store.InTx(context.Background(), s.db, func(tx *sql.Tx) error {
		_, err := s.svc.Enqueue(context.Background(), tx, r)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "already queued") {
		t.Errorf("reusing a key for another card: %v", err)
	}
}

func TestEnqueueRollsBackWithCaller(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	a := approved(ds, "DEV-0001")[0]
	err := store.InTx(context.Background(), s.db, func(tx *sql.Tx) error {
		if _, err := s.svc.Enqueue(context.Background(), tx, Record{Kind: KindIssued, ApplicationID: a.ID,
			PermitNumber: a.PermitNumber, CardSerial: "04A1"}); err != nil {
			return err
		}
		return errors.New("printer reported a jam")
	})
	if err == nil {
		t.Fatal("transaction did not fail")
	}
	if st := mustStatus(t, s); st.OutboxDepth != 0 {
		t.Errorf("%d outbox rows survived the rolled-back issuance step", st.OutboxDepth)
	}
}

func TestEnqueueRejectsHugeRecord(t *testing.T) {
	ds := committedSeed(t)
	c := startCentral(t, ds, server.Faults{})
	s := newStation(t, c, stationOptions{})
	a := approved(ds, "DEV-0001")[0]
	err := store.InTx(context.Background(), s.db, func(tx *sql.Tx) error {
		_, err := s.svc.Enqueue(context.Background(), tx, Record{Kind: KindSpoiled, ApplicationID: a.ID,
			PermitNumber: a.PermitNumber, CardSerial: "04A1", Reason: strings.Repeat("卡", 10000)})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "shorten the reason") {
		t.Errorf("30 KB reason: %v, want a size error", err)
	}
}
