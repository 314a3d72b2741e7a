package issuance

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"permitdesk/app/cardface"
	"permitdesk/devices/evolis"
	"permitdesk/devices/keys"
	"permitdesk/devices/permitcard"
	"permitdesk/devices/serialport"
	simcard "permitdesk/devices/sim/card"
	evolissim "permitdesk/devices/sim/evolis"
)

// directSlot puts the card emulator's blank cards at the printer emulator's
// contactless station, in process.
type directSlot struct{ e *simcard.Emulator }

func (s directSlot) Insert(ctx context.Context) (string, error) {
	serial, err := s.e.InsertBlank()
	return serial.String(), err
}

func (s directSlot) Remove(ctx context.Context) error {
	s.e.Remove()
	return nil
}

// emulated is the real printer and encoder drivers on the emulators: the
// printer over a pseudo-terminal, the encoder wired straight to the card
// emulator.
type emulated struct {
	printer *evolissim.Sim
	cards   *simcard.Emulator
	path    *EvolisPath
	encoder PermitCardEncoder
	faces   CardFaces
	out     string
}

func startEmulated(t testing.TB, moveTimeout time.Duration, cards int) *emulated {
	t.Helper()
	if _, err := os.Stat(cardface.DefaultFontPaths[0]); err != nil {
		if _, err2 := os.Stat(cardface.DefaultFontPaths[1]); err2 != nil {
			t.Skip("no CJK font installed: install fonts-noto-cjk")
		}
	}
	e := &emulated{out: t.TempDir()}
	var err error
	if e.cards, err = simcard.New(simcard.Options{Hopper: cards}); err != nil {
		t.Fatal(err)
	}
	e.printer, err = evolissim.New(evolissim.Options{Link: filepath.Join(t.TempDir(), "printer"),
		OutDir: e.out, Cards: cards, Slot: directSlot{e.cards}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go e.printer.Run(ctx)
	t.Cleanup(func() { cancel(); e.printer.Wait() })
	p, err := evolis.Open(context.Background(), evolis.Options{
		Port: serialport.Options{Path: e.printer.Path(), Baud: 115200}, Timeout: 2 * time.Second,
		MoveTimeout: moveTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	enc, err := permitcard.New(permitcard.Options{Reader: simcard.Direct{E: e.cards},
		Keys: keys.NewFile(keys.DevMasterKey), RepresentWait: -1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := cardface.New(cardface.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.path, e.encoder, e.faces = &EvolisPath{Printer: p}, PermitCardEncoder{Encoder: enc}, CardFaces{Renderer: r}
	return e
}

func (h *harness) emulatedWorker(e *emulated) *Worker {
	h.t.Helper()
	w, err := NewWorker(WorkerOptions{Service: h.svc, CardPath: e.path, Encoder: e.encoder, Faces: e.faces,
		LockDir: h.dir, StepTimeout: 10 * time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { w.Close() })
	h.w = w
	return w
}

func TestEmulatorsIssueCard(t *testing.T) {
	e := startEmulated(t, 0, 30)
	h := openHarness(t, t.TempDir(), nil, true)
	w := h.emulatedWorker(e)
	ctx := context.Background()
	j := h.enqueue("A1")
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if err != nil {
		t.Fatal(err)
	}
	done, err := h.svc.Handover(ctx, h.clerk, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.checkInvariants(true)

	fronts, _ := filepath.Glob(filepath.Join(e.out, "*front*.png"))
	if len(fronts) != 1 {
		t.Errorf("%d front images printed, want 1", len(fronts))
	}
	inserted, _, rejected, delivered := e.printer.Counters()
	if inserted != 1 || rejected != 0 || delivered != 1 {
		t.Errorf("printer counters: inserted %d rejected %d delivered %d", inserted, rejected, delivered)
	}
	serial, err := permitcard.ParseSerial(done.Card.Serial)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cards.Insert(serial); err != nil {
		t.Fatalf("present the issued card again: %v", err)
	}
	back, err := e.encoder.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := samePermit(done.Permit, back.Permit); err != nil {
		t.Errorf("card read back: %v", err)
	}
}

func TestEmulatorsJamSpoilsAndRetries(t *testing.T) {
	e := startEmulated(t, 0, 30)
	h := openHarness(t, t.TempDir(), nil, true)
	w := h.emulatedWorker(e)
	ctx := context.Background()
	e.printer.JamAt(1)
	j := h.enqueue("A1")
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if err == nil {
		t.Fatalf("jammed feed gave no error; job %s", got.State)
	}
	t.Logf("after jam: %s: %s", got.State, got.Attention)
	e.printer.ClearJam()
	choice := ChoiceRetry
	if got.State == Queued {
		got, err = w.RunJob(ctx, j.ID, "clerk1")
	} else {
		got, err = w.Resolve(ctx, h.clerk, j.ID, choice, "", "")
	}
	if err != nil {
		t.Fatalf("after clearing the jam: %v (state %s)", err, got.State)
	}
	if _, err := h.svc.Handover(ctx, h.clerk, j.ID); err != nil {
		t.Fatal(err)
	}
	h.checkInvariants(true)
}

func TestEmulatorsLatePrintReplySettled(t *testing.T) {
	e := startEmulated(t, 500*time.Millisecond, 30)
	h := openHarness(t, t.TempDir(), nil, true)
	w := h.emulatedWorker(e)
	ctx := context.Background()
	e.printer.LateReply("Se", 1500*time.Millisecond)
	j := h.enqueue("A1")
	got, err := w.RunJob(ctx, j.ID, "clerk1")
	if err != nil {
		t.Fatalf("late print reply: %v (state %s, %s)", err, got.State, got.Attention)
	}
	evs, _ := h.svc.Events(ctx, j.ID)
	var settled bool
	for _, ev := range evs {
		settled = settled || strings.Contains(ev.Detail, "print confirmed by counter")
	}
	if !settled {
		t.Error("no event says the print was confirmed by the counter")
	}
	h.checkInvariants(false)
}

// TestEmulatorsRestartMidJob stops a job at a point as a crash would (the
// worker goroutine exits, the driver's in-memory job record is lost), then
// a new worker recovers and continues on the same emulated printer.
func TestEmulatorsRestartMidJob(t *testing.T) {
	for _, point := range []string{"after:feed", "after:personalise", "before:verified", "after:print",
		"before:printed", "after:eject"} {
		t.Run(point, func(t *testing.T) {
			e := startEmulated(t, 0, 30)
			h := openHarness(t, t.TempDir(), nil, true)
			ctx := context.Background()
			first, err := NewWorker(WorkerOptions{Service: h.svc, CardPath: e.path, Encoder: e.encoder,
				Faces: e.faces, LockDir: h.dir, Hook: func(p string) {
					if p == point {
						runtime.Goexit()
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			j := h.enqueue("A1")
			stopped := make(chan struct{})
			go func() { defer close(stopped); first.RunJob(ctx, j.ID, "clerk1") }()
			<-stopped
			first.Close()

			e.path = &EvolisPath{Printer: e.path.Printer}
			w := h.emulatedWorker(e)
			if _, err := w.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			got := h.job(j.ID)
			if got.State == NeedsAttention {
				got, err = w.Resolve(ctx, h.clerk, j.ID, ChoiceContinue, "", "")
				if err != nil {
					t.Fatalf("continue after %s: %v", point, err)
				}
			}
			if got.State != AwaitingHandover {
				t.Fatalf("after %s: state %s (%s)", point, got.State, got.Attention)
			}
			if _, err := h.svc.Handover(ctx, h.clerk, j.ID); err != nil {
				t.Fatal(err)
			}
			h.checkInvariants(true)
			if inserted, _, rejected, delivered := e.printer.Counters(); inserted != 1 || rejected != 0 ||
				delivered != 1 {
				t.Errorf("printer counters: inserted %d rejected %d delivered %d", inserted, rejected, delivered)
			}
		})
	}
}
