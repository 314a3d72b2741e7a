package evolis_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
	evolissim "permitdesk/devices/sim/evolis"
)

// syncBuffer is a transcript sink safe for the emulator's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	sim        *evolissim.Sim
	printer    *evolis.Printer
	transcript *syncBuffer
	opts       evolis.Options
}

// startRig runs an emulator on a pseudo-terminal and connects a driver to it.
func startRig(t *testing.T, simOpts evolissim.Options, drvOpts evolis.Options) *rig {
	t.Helper()
	r := &rig{transcript: &syncBuffer{}}
	if simOpts.Link == "" {
		simOpts.Link = t.TempDir() + "/printer"
	}
	simOpts.Transcript = r.transcript
	sim, err := evolissim.New(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	r.sim = sim
	drvOpts.Port = serialport.Options{Path: sim.Path(), Baud: 115200}
	if drvOpts.Timeout == 0 {
		drvOpts.Timeout = 2 * time.Second
	}
	r.opts = drvOpts
	p, err := evolis.Open(context.Background(), drvOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	r.printer = p
	return r
}

func testFace(seed byte) evolis.Face {
	f := make([]byte, evolis.PanelBytes)
	for line := 100; line < 300; line++ {
		for j := 0; j < 40; j++ {
			f[line*evolis.BytesPerLine+j] = seed ^ byte(line+j)
		}
	}
	return f
}

func issue(t *testing.T, p *evolis.Printer, front, back evolis.Face) *evolis.Job {
	t.Helper()
	ctx := context.Background()
	job, err := p.FeedToContactless(ctx)
	if err != nil {
		t.Fatalf("feed: %v", err)
	}
	if err := p.PrintFaces(ctx, job, front, back); err != nil {
		t.Fatalf("print: %v", err)
	}
	if err := p.Eject(ctx, job); err != nil {
		t.Fatalf("eject: %v", err)
	}
	return job
}

func TestIssueOverPty(t *testing.T) {
	r := startRig(t, evolissim.Options{}, evolis.Options{})
	front, back := testFace(1), testFace(2)
	job := issue(t, r.printer, front, back)
	if job.State != evolis.JobDelivered {
		t.Errorf("job state = %s, want delivered", job.State)
	}
	if job.Spoiled != 0 {
		t.Errorf("spoiled = %d, want 0", job.Spoiled)
	}
	printed := r.sim.Printed()
	if len(printed) != 1 {
		t.Fatalf("printed %d cards, want 1", len(printed))
	}
	if !bytes.Equal(printed[0].Front, front) || !bytes.Equal(printed[0].Back, back) {
		t.Error("printed panels differ from the faces sent")
	}
	t.Log(r.transcript.String())
}

func TestStatusOverPty(t *testing.T) {
	r := startRig(t, evolissim.Options{Serial: "SN123", Ribbon: 250}, evolis.Options{})
	st, err := r.printer.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Serial != "SN123" {
		t.Errorf("serial = %q, want SN123", st.Serial)
	}
	if st.Position != evolis.PositionNone {
		t.Errorf("position = %s, want none", st.Position)
	}
	if st.CoverOpen || st.FeederEmpty || st.NeedsCleaning {
		t.Errorf("status reports a fault: %+v", st)
	}
	if st.RibbonPanels != 250 {
		t.Errorf("ribbon = %d panels, want 250", st.RibbonPanels)
	}
}
