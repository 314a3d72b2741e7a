package issuance

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"permitdesk/app/permit"
	"permitdesk/central/api"
	"permitdesk/devices/permitcard"
)

// testSealKey stands for the central system's seal key in the fake
// application source.
var testSealKey = ed25519.NewKeyFromSeed([]byte("permitdesk-issuance-test-seal-32"))

func testSealKeyID() string { return api.SealKeyID(testSealKey.Public().(ed25519.PublicKey)) }

// ApplicationSeal signs the application's card data with testSealKey, as
// the central system does at approval.
func (a fakeApps) ApplicationSeal(ctx context.Context, id string) (permitcard.Seal, error) {
	app, ok := a[id]
	if !ok {
		return permitcard.Seal{}, fmt.Errorf("application %q not found", id)
	}
	return permitcard.SignSeal(testSealKeyID(), testSealKey, CardData(permit.FromApplication(app, time.Time{})))
}

// TrustedSealKeys trusts testSealKey.
func (a fakeApps) TrustedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	return map[string]ed25519.PublicKey{testSealKeyID(): testSealKey.Public().(ed25519.PublicKey)}, nil
}

// fakeSeals wraps fakeApps to leave out or alter seals and keys.
type fakeSeals struct {
	apps    fakeApps
	missing map[string]bool
	keys    map[string]ed25519.PublicKey // nil means the apps' keys
}

func (f fakeSeals) ApplicationSeal(ctx context.Context, id string) (permitcard.Seal, error) {
	if f.missing[id] {
		return permitcard.Seal{}, fmt.Errorf("application %s: application has no issuance seal: run "+
			"`permitdesk sync --once`", id)
	}
	return f.apps.ApplicationSeal(ctx, id)
}

func (f fakeSeals) TrustedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	if f.keys != nil {
		return f.keys, nil
	}
	return f.apps.TrustedSealKeys(ctx)
}

func otherKeys() map[string]ed25519.PublicKey {
	pub := ed25519.NewKeyFromSeed([]byte("permitdesk-issuance-other-key-32")).Public().(ed25519.PublicKey)
	return map[string]ed25519.PublicKey{api.SealKeyID(pub): pub}
}

// withSeals replaces the harness's service with one that takes seals from
// seals.
func (h *harness) withSeals(seals SealSource) {
	h.svc = New(h.db, Options{StationID: "SZ-FT-01", Applications: h.apps, Seals: seals, Outbox: tableOutbox{},
		Operators: h.ops})
}

func (h *harness) onHand() int64 {
	h.t.Helper()
	lots, err := h.svc.Lots(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	var n int64
	for _, l := range lots {
		n += l.OnHand
	}
	return n
}

func TestEnqueueRejectsUnsealedApplication(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(5), true)
	h.withSeals(fakeSeals{apps: h.apps, missing: map[string]bool{"A1": true}})
	_, err := h.svc.Enqueue(context.Background(), h.clerk, "A1")
	if !errors.Is(err, ErrSealRefused) {
		t.Fatalf("enqueue without a seal: %v, want ErrSealRefused", err)
	}
	if !strings.Contains(err.Error(), "A1") || !strings.Contains(err.Error(), "sync --once") {
		t.Errorf("message %q does not name the application and the remedy", err)
	}
	if n := h.onHand(); n != stockCards {
		t.Errorf("%d cards on hand, want all %d", n, stockCards)
	}
	if jobs, _ := h.svc.List(context.Background(), ListOptions{}); len(jobs) != 0 {
		t.Errorf("%d jobs queued, want none", len(jobs))
	}
}

func TestEnqueueRejectsUntrustedKey(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(5), true)
	h.withSeals(fakeSeals{apps: h.apps, keys: otherKeys()})
	_, err := h.svc.Enqueue(context.Background(), h.clerk, "A2")
	if !errors.Is(err, ErrSealRefused) || !errors.Is(err, permitcard.ErrSealInvalid) {
		t.Fatalf("enqueue with an untrusted key: %v, want ErrSealRefused and ErrSealInvalid", err)
	}
	for _, want := range []string{"A2", testSealKeyID(), "seal_key_file", "approve the application again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not contain %q", err, want)
		}
	}
}

func TestEnqueueRejectsTamperedPermit(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(5), true)
	sealed := fakeApps{"A3": h.apps["A3"]}
	changed := h.apps["A3"]
	changed.Holder.Name = "李四"
	h.apps["A3"] = changed
	h.withSeals(fakeSeals{apps: sealed})
	if _, err := h.svc.Enqueue(context.Background(), h.clerk, "A3"); !errors.Is(err, permitcard.ErrSealInvalid) {
		t.Errorf("enqueue with a changed name: %v, want ErrSealInvalid", err)
	}
}

// TestWorkerRejectsSealBeforeTakingCard queues a job while the seal
// verifies, then trusts another key: the worker takes no card and leaves the
// job queued and unclaimed.
func TestWorkerRejectsSealBeforeTakingCard(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(5), true)
	j := h.enqueue("A1")
	h.withSeals(fakeSeals{apps: h.apps, keys: otherKeys()})
	w := h.worker(WorkerOptions{})
	got, err := w.RunJob(context.Background(), j.ID, "clerk1")
	if !errors.Is(err, ErrSealRefused) {
		t.Fatalf("run with an untrusted key: %v, want ErrSealRefused", err)
	}
	if got.State != Queued {
		t.Errorf("job is %s, want queued", got.State)
	}
	if n := h.onHand(); n != stockCards {
		t.Errorf("%d cards on hand, want all %d", n, stockCards)
	}
	if h.m.calls["feed"] != 0 {
		t.Errorf("printer fed %d cards, want none", h.m.calls["feed"])
	}
	if again := h.job(j.ID); again.ClaimedBy != "" {
		t.Errorf("job still claimed by %q", again.ClaimedBy)
	}
}

func TestFakeIssueWritesVerifiedSeal(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(5), true)
	w := h.worker(WorkerOptions{})
	j := h.enqueue("A4")
	got, err := w.RunJob(context.Background(), j.ID, "clerk1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != AwaitingHandover {
		t.Fatalf("job is %s, want awaiting_handover", got.State)
	}
	card := h.m.s.Hopper[len(h.m.s.Hopper)-1]
	if card.Seal.KeyID != testSealKeyID() || len(card.Seal.Signature) != ed25519.SignatureSize {
		t.Errorf("chip seal %+v, want a signature by %s", card.Seal, testSealKeyID())
	}
}

// TestReadBackRejectsBadSeal writes a card whose seal was changed on the
// way: the read-back check spoils it.
func TestReadBackRejectsBadSeal(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(5), true)
	w := h.worker(WorkerOptions{Hook: func(point string) {
		if point == "after:personalise" {
			h.m.s.Station.Seal.Signature[0] ^= 0xFF
		}
	}})
	j := h.enqueue("A5")
	got, err := w.RunJob(context.Background(), j.ID, "clerk1")
	if err == nil {
		t.Fatalf("card with a broken seal passed; job %s", got.State)
	}
	if got.State != Spoiled {
		t.Errorf("job is %s, want spoiled", got.State)
	}
	if !strings.Contains(got.Attention+err.Error(), "does not verify") {
		t.Errorf("reason %q / %v does not say the seal failed", got.Attention, err)
	}
}
