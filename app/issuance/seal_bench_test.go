package issuance

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"permitdesk/app/permit"
	"permitdesk/central/seed"
	"permitdesk/devices/permitcard"
)

// photoApps returns a valid application with a portrait for every id, and
// with sealed set, its seal and the key to check it.
type photoApps struct {
	photo  []byte
	sealed bool
}

func (p photoApps) Application(ctx context.Context, id string) (permit.Application, error) {
	a, _ := anyApps{}.Application(ctx, id)
	a.Photo = p.photo
	return a, nil
}

func (p photoApps) ApplicationSeal(ctx context.Context, id string) (permitcard.Seal, error) {
	if !p.sealed {
		return permitcard.Seal{}, nil
	}
	a, _ := p.Application(ctx, id)
	return permitcard.SignSeal(testSealKeyID(), testSealKey, CardData(permit.FromApplication(a, time.Time{})))
}

func (p photoApps) TrustedSealKeys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	return fakeApps{}.TrustedSealKeys(ctx)
}

// benchSealCost issues cards with a seeded portrait on the emulators; with
// sealed, each card carries the seal and its read-back reads the portrait
// to verify it.
func benchSealCost(b *testing.B, sealed bool) {
	photo, err := seed.Portrait(7, false)
	if err != nil {
		b.Fatal(err)
	}
	e := startEmulated(b, 0, b.N+2)
	h := openHarness(b, b.TempDir(), nil, true)
	apps := photoApps{photo: photo, sealed: sealed}
	h.svc.opt.Applications = apps
	if !sealed {
		h.svc.opt.Applications = struct{ Applications }{apps}
	}
	if _, err := h.svc.ReceiveLot(context.Background(), h.boss, "BENCH", int64(b.N)+1); err != nil {
		b.Fatal(err)
	}
	w, err := NewWorker(WorkerOptions{Service: h.svc, CardPath: e.path, Encoder: e.encoder, Faces: e.faces,
		LockDir: h.dir})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	benchIssue(b, h, w)
}

// BenchmarkIssueEmulatorsUnsealed issues cards with a portrait and no seal
// source, so nothing is signed or checked.
func BenchmarkIssueEmulatorsUnsealed(b *testing.B) { benchSealCost(b, false) }

// BenchmarkIssueEmulatorsSealed issues the same cards with a seal checked
// at queueing, before the card is taken, and on read-back.
func BenchmarkIssueEmulatorsSealed(b *testing.B) { benchSealCost(b, true) }
