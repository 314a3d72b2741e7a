package cardface

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
	rewritersim "permitdesk/devices/sim/rewriter"
)

// TestStripRewrittenEqualsGolden erases and prints a rendered address strip
// through the rewriter driver and emulator, then rewrites it with another
// address, and compares the card's strip with the golden images.
func TestStripRewrittenEqualsGolden(t *testing.T) {
	out := t.TempDir()
	sim, err := rewritersim.New(rewritersim.Options{Link: filepath.Join(t.TempDir(), "rewriter"), OutDir: out,
		CardInserted: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	rw, err := rewriter.Open(rewriter.Options{Port: serialport.Options{Path: sim.Path()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()

	r := newRenderer(t, "production")
	for i, name := range []string{"basic", "long-address"} {
		img, err := r.StripImage(testPermits()[name])
		if err != nil {
			t.Fatal(err)
		}
		sim.InsertCard()
		if err := rw.Rewrite(ctx, img); err != nil {
			t.Fatal(err)
		}
		if d := diffPixels(sim.Image(), readPNG(t, goldenPath(name, Strip))); d != 0 {
			t.Errorf("strip after rewrite %d (%s) differs from its golden image in %d pixels", i+1, name, d)
		}
	}
	if n := len(sim.Images()); n != 2 {
		t.Errorf("emulator wrote %d strip images, want 2", n)
	}
}
