package permitcard_test

import (
	"context"
	"testing"
	"time"

	"permitdesk/devices/pcsc"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

// BenchmarkPersonalise measures a full personalisation (every file, the
// 12 KB sample photo, read-back verify, commit marker) per card, and
// reports the traffic against the minimum for the APDU size and the
// estimated ISO 14443-4 air time.
func BenchmarkPersonalise(b *testing.B) {
	cases := []struct {
		name string
		make rigMaker
		so   simcard.Options
	}{
		{"direct", newDirectRig, simcard.Options{}},
		{"pcsc", newPCSCRig, simcard.Options{}},
		{"pcsc-t0", newPCSCRig, simcard.Options{T0: true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := c.make(b, c.so, permitcard.Options{})
			benchPersonalise(b, r)
		})
	}
}

func benchPersonalise(b *testing.B, r rig) {
	d := sampleData(b)
	ctx := context.Background()
	var apdus, bytes int
	var air106, air424, cardOS time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		serial := permitcard.Serial{'B', 'N', 0, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
		if err := r.sim.InsertNew(serial); err != nil {
			b.Fatal(err)
		}
		waitPresent(b, r)
		before := r.sim.Stats()
		b.StartTimer()
		if _, err := r.enc.Personalise(ctx, d); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		after := r.sim.Stats()
		t := r.enc.Traffic()
		apdus += t.APDUs
		bytes += t.BytesSent + t.BytesRecv
		air106 += after.Air106 - before.Air106
		air424 += after.Air424 - before.Air424
		cardOS += after.Processed - before.Processed
		r.sim.Remove()
		waitEmpty(b, r)
		b.StartTimer()
	}
	n := float64(b.N)
	minAPDUs, minBytes := minimumTraffic(b, d, 239)
	b.ReportMetric(float64(apdus)/n, "apdus/op")
	b.ReportMetric(float64(minAPDUs), "min-apdus/op")
	b.ReportMetric(float64(bytes)/n, "bytes/op")
	b.ReportMetric(float64(minBytes), "min-bytes/op")
	b.ReportMetric(float64(air106.Microseconds())/n/1000, "air106-ms/op")
	b.ReportMetric(float64(air424.Microseconds())/n/1000, "air424-ms/op")
	b.ReportMetric(float64(cardOS.Microseconds())/n/1000, "cardos-ms/op")
}

// waitPresent waits until a PC/SC reader shows the card, so the time per
// card excludes pcscd's card-detection polling.
func waitPresent(b *testing.B, r rig) {
	pr, ok := r.reader.(*pcsc.Reader)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := pr.WaitCard(ctx); err != nil {
		b.Fatal(err)
	}
}

// waitEmpty waits until a PC/SC reader shows no card, so the next card is
// not taken for the one just removed.
func waitEmpty(b *testing.B, r rig) {
	pr, ok := r.reader.(*pcsc.Reader)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := pr.WaitRemoved(ctx); err != nil {
		b.Fatal(err)
	}
}

// minimumTraffic returns the fewest APDUs and bytes that write d to a
// blank card and read it back with data fields of at most max bytes. The
// minimum is one SELECT of the DF, GET CHALLENGE, EXTERNAL AUTHENTICATE and
// one READ BINARY of the serial. Every file and the marker are then written
// and read back by SFI, with no separate SELECT.
func minimumTraffic(b *testing.B, d permitcard.CardData, max int) (int, int) {
	holder, _ := permitcard.EncodeHolder(d.Holder)
	permit, _ := permitcard.EncodePermit(d.Permit)
	photo, _ := permitcard.EncodePhoto(d.Photo)
	seal, _ := permitcard.EncodeSeal(d.Seal)
	address, err := permitcard.EncodeAddressFile(d.Address)
	if err != nil {
		b.Fatal(err)
	}
	const header, sw = 5, 2 // CLA INS P1 P2 plus Lc or Le; SW1 SW2
	apdus := 4
	bytes := (header + len(permitcard.AID) + sw) + (header + 8 + sw) + (header + 8 + sw) +
		(header + permitcard.CardInfoSize + sw)
	for _, f := range [][]byte{holder, permit, photo, seal, address, make([]byte, permitcard.MarkerSize)} {
		for done := 0; done < len(f); done += max {
			n := min(max, len(f)-done)
			apdus += 2 // UPDATE BINARY and READ BINARY
			bytes += (header + n + sw) + (header + n + sw)
		}
	}
	return apdus, bytes
}
