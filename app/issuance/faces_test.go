package issuance

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestWorkerKeepsFacesAsPNG(t *testing.T) {
	h := openHarness(t, t.TempDir(), newMachine(stockCards), true)
	dir := filepath.Join(t.TempDir(), "faces")
	h.worker(WorkerOptions{FacesDir: dir})
	j := h.enqueue("A1")
	done, err := h.w.RunJob(context.Background(), j.ID, "clerk1")
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"front", "back"} {
		path := filepath.Join(dir, "job-1-"+done.Card.Serial+"-"+side+".png")
		f, err := os.Open(path)
		if err != nil {
			t.Errorf("%s face: %v", side, err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s face %s is not a PNG: %v", side, path, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 8 || b.Dy() != 5 {
			t.Errorf("%s face is %dx%d, want the rendered 8x5", side, b.Dx(), b.Dy())
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("faces directory holds %d files, want 2", len(entries))
	}
}

func TestFileSafeSerial(t *testing.T) {
	if got := fileSafe("E0/01 ..x"); got != "E0_01___x" {
		t.Errorf("fileSafe = %q, want E0_01___x", got)
	}
}
