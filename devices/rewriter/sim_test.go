package rewriter_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
	rewritersim "permitdesk/devices/sim/rewriter"
)

func startRig(t *testing.T, opts rewritersim.Options) (*rewritersim.Sim, *rewriter.Rewriter) {
	t.Helper()
	opts.Link = t.TempDir() + "/rewriter"
	sim, err := rewritersim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	rw, err := rewriter.Open(rewriter.Options{Port: serialport.Options{Path: sim.Path(), Baud: 38400},
		Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })
	return sim, rw
}

// stripImage draws a frame and a diagonal so every column has black dots.
func stripImage() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, rewriter.ImageWidth, rewriter.ImageHeight))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for x := 0; x < rewriter.ImageWidth; x++ {
		img.SetGray(x, 10, color.Gray{})
		img.SetGray(x, x*rewriter.ImageHeight/rewriter.ImageWidth, color.Gray{})
	}
	return img
}

func sameImage(a, b *image.Gray) bool {
	for y := 0; y < rewriter.ImageHeight; y++ {
		for x := 0; x < rewriter.ImageWidth; x++ {
			if (a.GrayAt(x, y).Y < 128) != (b.GrayAt(x, y).Y < 128) {
				return false
			}
		}
	}
	return true
}

func TestRewriteOverPty(t *testing.T) {
	sim, rw := startRig(t, rewritersim.Options{CardInserted: true, OutDir: t.TempDir()})
	ctx := context.Background()
	img := stripImage()
	if err := rw.Rewrite(ctx, img); err != nil {
		t.Fatal(err)
	}
	if !sameImage(sim.Image(), img) {
		t.Error("card strip differs from the image sent")
	}
	st, err := rw.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Card != rewriter.CardWaiting {
		t.Errorf("card sensor = %q, want waiting for removal", st.Card)
	}
	if n := len(sim.Images()); n != 1 {
		t.Errorf("wrote %d strip images, want 1", n)
	}
	if err := rw.Rewrite(ctx, img); !errors.Is(err, devices.ErrNoCard) {
		t.Errorf("rewrite with the card out = %v, want ErrNoCard", err)
	}
}
