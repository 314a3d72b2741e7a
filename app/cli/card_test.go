package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/devices/pcsc"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
)

// cardCLI runs card commands against the encoder reader with the
// development key file.
func cardCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cfgPath := filepath.Join(dir, "permitdesk.toml")
	keyFile, _ := filepath.Abs("../../testdata/cards/dev-master.key")
	cfg := "data_dir = \"" + filepath.Join(dir, "data") + "\"\nlog_level = \"error\"\n" +
		"[keys]\nsource = \"file\"\nkey_file = \"" + keyFile + "\"\n" +
		"[devices.encoder]\nname = \"" + pcsctest.EncoderReader + "\"\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(append([]string{"--config", cfgPath}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestCardPersonaliseStatusDump(t *testing.T) {
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	sim, err := simcard.New(simcard.Options{Addr: pcsctest.EncoderAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sim.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	serial, err := sim.InsertBlank()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	out, err := cardCLI(t, dir, "card", "personalise", "--data", "../../testdata/cards/sample-card.json",
		"--photo", "../../testdata/cards/photo-12k.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "personalised card "+serial.String()) {
		t.Fatalf("personalise printed %q, want the serial %s", out, serial)
	}

	out, err = cardCLI(t, dir, "card", "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"serial  " + serial.String(), "state   personalised", "440300202600012345"} {
		if !strings.Contains(out, want) {
			t.Fatalf("status printed %q, want %q", out, want)
		}
	}

	out, err = cardCLI(t, dir, "card", "dump", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var dumped permitcard.Card
	if err := json.Unmarshal([]byte(out), &dumped); err != nil {
		t.Fatalf("dump --json is not a card: %v", err)
	}
	want := loadSampleCard(t)
	w, _ := json.Marshal(want)
	g, _ := json.Marshal(dumped.Data)
	if string(w) != string(g) {
		t.Fatalf("dumped data differ from the file written:\nwrote %.300s\nread  %.300s", w, g)
	}

	out, err = cardCLI(t, dir, "card", "apdu", "00A4040008F05045524D495401", "00D6820001AA")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "9000 (success)") || !strings.Contains(out, "6982 (security status not satisfied") {
		t.Fatalf("apdu console printed %q, want 9000 then 6982 with meanings", out)
	}
}

func loadSampleCard(t *testing.T) permitcard.CardData {
	t.Helper()
	d, err := loadCardData("../../testdata/cards/sample-card.json", "../../testdata/cards/photo-12k.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// cardCLIStreams runs a card command like cardCLI and also returns stderr.
// The deadline keeps a command that waits for a card from hanging the test.
func cardCLIStreams(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	cfgPath := filepath.Join(dir, "permitdesk.toml")
	cfg := "data_dir = \"" + filepath.Join(dir, "data") + "\"\nlog_level = \"error\"\n" +
		"[devices.encoder]\nname = \"" + pcsctest.EncoderReader + "\"\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	env := &Env{Out: &out, ErrOut: &errOut}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(append([]string{"--config", cfgPath}, args...))
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestCardAPDURejectsHexFirst(t *testing.T) {
	// No pcscd and no card are needed: the argument fails before the
	// reader is opened.
	_, _, err := cardCLIStreams(t, t.TempDir(), "card", "apdu", "00A4040000", "zz")
	if err == nil {
		t.Fatal("card apdu zz succeeded, want an invalid hexadecimal error")
	}
	if !strings.Contains(err.Error(), `APDU argument 2: invalid hexadecimal "zz"`) {
		t.Fatalf("card apdu zz failed with %q, want the bad argument named", err)
	}
}

func TestCardCommandsNoCardWait(t *testing.T) {
	pcsctest.Start(t)
	pcsctest.Lock(t, pcsctest.EncoderAddr)
	sim, err := simcard.New(simcard.Options{Addr: pcsctest.EncoderAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sim.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitReaderEmpty(t)

	for _, args := range [][]string{
		{"card", "status", "--wait", "1s"},
		{"card", "dump", "--wait", "1s"},
		{"card", "apdu", "--wait", "1s", "00A4040000"},
	} {
		t.Run(args[1], func(t *testing.T) {
			_, stderr, err := cardCLIStreams(t, t.TempDir(), args...)
			if err == nil {
				t.Fatal("succeeded with no card in the reader")
			}
			want := "no card in " + pcsctest.EncoderReader + " after 1s: place a card"
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q, want it to contain %q", err, want)
			}
			if !strings.Contains(stderr, "waiting for a card in ") {
				t.Fatalf("stderr %q, want a waiting notice", stderr)
			}
		})
	}
}

// waitReaderEmpty waits until pcscd shows no card in the encoder reader,
// because the reader state from an earlier emulator connection can linger.
func waitReaderEmpty(t *testing.T) {
	t.Helper()
	r, err := pcsc.Open(pcsc.Options{Reader: pcsctest.EncoderReader})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := r.WaitRemoved(ctx); err != nil {
		t.Fatalf("encoder reader still shows a card: %v", err)
	}
}
