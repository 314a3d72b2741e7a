package evolis_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"permitdesk/devices/evolis"
	evolissim "permitdesk/devices/sim/evolis"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/printer")

// TestTranscriptGolden compares the command and reply lines of whole jobs
// with testdata/printer/NAME.txt; run with -update to rewrite them.
func TestTranscriptGolden(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts evolis.Options
		run  func(t *testing.T, r *rig)
	}{
		{"issue-compressed", evolis.Options{}, func(t *testing.T, r *rig) {
			issue(t, r.printer, testFace(1), testFace(2))
		}},
		{"issue-uncompressed", evolis.Options{Uncompressed: true}, func(t *testing.T, r *rig) {
			issue(t, r.printer, testFace(1), nil)
		}},
		{"issue-acknack", evolis.Options{AckNack: true}, func(t *testing.T, r *rig) {
			issue(t, r.printer, testFace(1), testFace(2))
		}},
		{"ribbon-out-reject", evolis.Options{}, func(t *testing.T, r *rig) {
			r.sim.RibbonOutAt(1)
			job, err := r.printer.FeedToContactless(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.printer.PrintFaces(ctx, job, testFace(1), nil); err == nil {
				t.Fatal("print succeeded with the ribbon out")
			}
			r.sim.ReplaceRibbon(10)
			if err := r.printer.EjectToReject(ctx, job); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRig(t, evolissim.Options{}, tc.opts)
			tc.run(t, r)
			got := r.transcript.String()
			path := filepath.Join("..", "..", "testdata", "printer", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("transcript differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}
