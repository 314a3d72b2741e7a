package diag

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRedact measures redaction of JSON log lines, one in ten with an
// ID number and one in fifty with a hexadecimal key.
func BenchmarkRedact(b *testing.B) {
	var sb strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&sb, `{"time":"2026-12-04T10:00:00Z","level":"INFO","msg":"job step","job":%d,"step":"printed"`, i)
		if i%10 == 0 {
			sb.WriteString(`,"id_number":"44030119900307123X"`)
		}
		if i%50 == 0 {
			sb.WriteString(`,"key":"504445562D4D41535445522D4B455931"`)
		}
		sb.WriteString("}\n")
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Redact(text)
	}
}

// BenchmarkPrinterChecks runs the six printer checks against the emulator
// over a pseudo-terminal: 14 commands and their replies.
func BenchmarkPrinterChecks(b *testing.B) {
	cfg := testConfig(b)
	startPrinter(b, &cfg)
	s := New(Options{Config: cfg})
	ctx := context.Background()
	for b.Loop() {
		r, err := s.Run(ctx, RunOptions{Devices: []string{"printer"}})
		if err != nil || r.Failed() {
			b.Fatalf("run: %v %+v", err, r.Summary)
		}
	}
}

// BenchmarkStorageQuickCheck runs the storage checks on a database of about
// 200 stock lots.
func BenchmarkStorageQuickCheck(b *testing.B) {
	cfg := testConfig(b)
	fillDB(b, cfg.DataDir)
	s := New(Options{Config: cfg})
	ctx := context.Background()
	for b.Loop() {
		if r, err := s.Run(ctx, RunOptions{Devices: []string{"storage"}}); err != nil || r.Failed() {
			b.Fatalf("run: %v %+v", err, r.Summary)
		}
	}
}
