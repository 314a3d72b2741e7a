package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
