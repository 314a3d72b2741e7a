package rewriter_test

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"permitdesk/devices"
	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
	rewritersim "permitdesk/devices/sim/rewriter"
)

func wantCode(t *testing.T, err error, code devices.Code) {
	t.Helper()
	var de *devices.Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestNAKResends(t *testing.T) {
	sim, rw := startRig(t, rewritersim.Options{CardInserted: true})
	sim.NakNext(2)
	st, err := rw.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Card != rewriter.CardAtInlet {
		t.Errorf("card = %q, want at inlet", st.Card)
	}
	sim.NakNext(10)
	_, err = rw.Status(context.Background())
	if err == nil {
		t.Fatal("status succeeded although every attempt got NAK")
	}
	sim.NakNext(0)
}

func TestDamagedResponseAskedAgain(t *testing.T) {
	sim, rw := startRig(t, rewritersim.Options{CardInserted: true})
	sim.CorruptNext(1)
	rom, err := rw.ROMVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rom != "TCP300II EMU V 1.00 E" {
		t.Errorf("ROM version = %q", rom)
	}
}

func TestRejectedWithDLE(t *testing.T) {
	_, rw := startRig(t, rewritersim.Options{CardInserted: true})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cmd  byte
		data string
	}{
		{"column out of range", rewriter.CmdImageLine, "480,0,FF"},
		{"odd hex", rewriter.CmdImageLine, "1,0,F"},
		{"bad discharge", rewriter.CmdErase, "7"},
		{"unsupported command", 0x41, "0,0,0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rw.Do(ctx, tc.name, tc.cmd, []byte(tc.data), time.Second)
			wantCode(t, err, rewriter.CodeRejected)
			if !errors.Is(err, rewriter.ErrRejected) {
				t.Errorf("error %v does not wrap ErrRejected", err)
			}
		})
	}
}

func TestCoverOpenAndNoCard(t *testing.T) {
	sim, rw := startRig(t, rewritersim.Options{CardInserted: true})
	ctx := context.Background()
	sim.SetCoverOpen(true)
	wantCode(t, rw.Rewrite(ctx, stripImage()), rewriter.CodeCoverOpen)
	wantCode(t, rw.Erase(ctx, rewriter.Hold), rewriter.CodeCoverOpen)
	sim.SetCoverOpen(false)
	sim.RemoveCard()
	wantCode(t, rw.Print(ctx, rewriter.Hold), rewriter.CodeNoCard)
	sim.InsertCard()
	if err := rw.Rewrite(ctx, stripImage()); err != nil {
		t.Fatal(err)
	}
}

func TestEraseOnlyAndPrintOnly(t *testing.T) {
	sim, rw := startRig(t, rewritersim.Options{CardInserted: true})
	ctx := context.Background()
	img := stripImage()
	if err := rw.LoadImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	if err := rw.Print(ctx, rewriter.Hold); err != nil {
		t.Fatal(err)
	}
	if !sameImage(sim.Image(), img) {
		t.Fatal("print only did not print the loaded image")
	}
	if err := rw.Erase(ctx, rewriter.Hold); err != nil {
		t.Fatal(err)
	}
	blank := image.NewGray(image.Rect(0, 0, rewriter.ImageWidth, rewriter.ImageHeight))
	for i := range blank.Pix {
		blank.Pix[i] = 0xFF
	}
	if !sameImage(sim.Image(), blank) {
		t.Fatal("erase only left dots on the strip")
	}
	n, err := rw.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("transport count = %d, want 2", n)
	}
}

func TestDamagedCommandGetsNAK(t *testing.T) {
	sim, rw := startRig(t, rewritersim.Options{})
	rw.Close()
	port, err := serialport.Open(serialport.Options{Path: sim.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	frame, _ := rewriter.EncodeCommand(rewriter.CmdStatus, nil)
	frame[len(frame)-1] ^= 0x55
	if _, err := serialport.WriteFull(port, frame); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, err := serialport.ReadSome(port, buf, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || buf[0] != rewriter.NAK {
		t.Errorf("reply to a damaged command = % X, want NAK", buf[:n])
	}
}

func TestMessagesBothLanguages(t *testing.T) {
	for _, code := range []devices.Code{rewriter.CodeNoCard, rewriter.CodeCoverOpen, rewriter.CodeJam,
		rewriter.CodeOverflow, rewriter.CodeRejected, rewriter.CodeTimeout, rewriter.CodeOffline} {
		zh, en := rewriter.Message(code, "zh-CN"), rewriter.Message(code, "en")
		if zh == en || zh == rewriter.Message(rewriter.CodeFailed, "zh-CN") {
			t.Errorf("%s: zh %q, en %q", code, zh, en)
		}
	}
}

func TestLineDropReconnects(t *testing.T) {
	sim, err := rewritersim.New(rewritersim.Options{Link: t.TempDir() + "/rewriter", CardInserted: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	rw, err := rewriter.Open(rewriter.Options{Port: serialport.Options{Path: sim.Path()},
		Timeout: 2 * time.Second, ReconnectWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()

	if _, err := rw.Status(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Hangup(300 * time.Millisecond)
	_, err = rw.Status(ctx)
	wantCode(t, err, rewriter.CodeOffline)
	if !errors.Is(err, devices.ErrNotConnected) {
		t.Errorf("error %v does not wrap ErrNotConnected", err)
	}
	if err := rw.Rewrite(ctx, stripImage()); err != nil {
		t.Fatalf("rewrite after the line came back: %v", err)
	}
	if !sameImage(sim.Image(), stripImage()) {
		t.Error("strip differs from the image sent after reconnecting")
	}
}
