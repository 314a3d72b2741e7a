package cardface

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
	evolissim "permitdesk/devices/sim/evolis"
)

// BenchmarkRender measures rendering one side, text, photo dithering and
// code included.
func BenchmarkRender(b *testing.B) {
	for _, set := range TemplateSets {
		r := newRenderer(b, set)
		p := testPermits()["long-address"]
		for _, side := range []Side{Front, Back, Strip} {
			b.Run(set+"/"+string(side), func(b *testing.B) {
				for b.Loop() {
					if _, err := r.Render(p, side); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPack measures packing a rendered face into a K panel and
// compressing it.
func BenchmarkPack(b *testing.B) {
	img, err := newRenderer(b, "full").Render(testPermits()["basic"], Front)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		panel, err := evolis.PackPanel(img)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := evolis.CompressPanel(panel); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireBytes reports the bytes a face costs on the serial line,
// compressed (Dbc) and raw (Db), for each template set and side.
func BenchmarkWireBytes(b *testing.B) {
	for _, set := range TemplateSets {
		r := newRenderer(b, set)
		for _, name := range []string{"basic", "long-address"} {
			front, back, err := r.Faces(testPermits()[name])
			if err != nil {
				b.Fatal(err)
			}
			for side, face := range map[Side]evolis.Face{Front: front, Back: back} {
				b.Run(fmt.Sprintf("%s/%s/%s", set, name, side), func(b *testing.B) {
					var dbc []byte
					for b.Loop() {
						dbc, _ = evolis.CompressedFrame('k', face)
					}
					db, _ := evolis.DownloadFrame('k', face)
					b.ReportMetric(float64(len(dbc)), "dbc-bytes")
					b.ReportMetric(float64(len(db)), "db-bytes")
					b.ReportMetric(100*float64(len(dbc))/float64(evolis.PanelBytes), "%-of-raw")
				})
			}
		}
	}
}

// BenchmarkSendFace prints one front face through the driver and an
// emulator that reads at the line speed, with no mechanical delays, and
// reports the time against the wire limit (bytes x 10 / baud). Run with
// -benchtime=1x: at 9600 baud a raw panel takes over 85 s.
func BenchmarkSendFace(b *testing.B) {
	front, _, err := newRenderer(b, "production").Faces(testPermits()["basic"])
	if err != nil {
		b.Fatal(err)
	}
	for _, baud := range []int{9600, 115200} {
		for _, raw := range []bool{false, true} {
			name := fmt.Sprintf("%d/%s", baud, map[bool]string{false: "dbc", true: "db"}[raw])
			b.Run(name, func(b *testing.B) { sendFace(b, front, baud, raw) })
		}
	}
}

func sendFace(b *testing.B, face evolis.Face, baud int, raw bool) {
	sim, err := evolissim.New(evolissim.Options{Link: filepath.Join(b.TempDir(), "printer"), WireBaud: baud})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	defer func() { cancel(); sim.Wait() }()
	p, err := evolis.Open(ctx, evolis.Options{Port: serialport.Options{Path: sim.Path(), Baud: baud},
		Uncompressed: raw, Timeout: 200 * time.Second, MoveTimeout: 200 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	frame, _ := evolis.CompressedFrame('k', face)
	if raw {
		frame, _ = evolis.DownloadFrame('k', face)
	}
	var total time.Duration
	for b.Loop() {
		job, err := p.FeedToContactless(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := p.PrintFaces(ctx, job, face, nil); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if err := p.Eject(ctx, job); err != nil {
			b.Fatal(err)
		}
	}
	limit := time.Duration(len(frame)) * 10 * time.Second / time.Duration(baud)
	b.ReportMetric(float64(len(frame)), "download-bytes")
	b.ReportMetric(limit.Seconds(), "wire-limit-s")
	b.ReportMetric(total.Seconds()/float64(b.N), "print-step-s")
}
