package idreader_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSerialRead measures one find, select and 30 01 read over a real
// pseudo-terminal through go.bug.st/serial, with the card placed again
// before each read. The pseudo-terminal does not pace bytes to the baud rate.
func BenchmarkSerialRead(b *testing.B) {
	emu, r := serialReader(b, 2*time.Second)
	emu.RequireRemoval = false
	emu.Place(0)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Read(ctx, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHIDRead measures the same read over the in-process HID emulator:
// 26 64-byte reports a read, 21 of them for the 1295-byte response.
func BenchmarkHIDRead(b *testing.B) {
	emu, _, r := hidReader(b)
	emu.RequireRemoval = false
	emu.Place(0)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Read(ctx, false); err != nil {
			b.Fatal(err)
		}
	}
}
