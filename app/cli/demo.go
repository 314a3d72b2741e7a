package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/central/api"
	centralstore "permitdesk/central/store"
	"permitdesk/devices/idcard"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/permitcard"
)

// Demo operators. The demo creates them on a fresh station database; the
// passwords are for the emulated station only.
const (
	demoSupervisor = "demo-chief"
	demoClerk      = "demo-clerk"
	demoTechnician = "demo-tech"
	demoPassword   = "Demo-2026-station"
)

// demoOptions are the flags of `permitdesk demo`.
type demoOptions struct {
	stack string
	out   string
	cards int
	wait  time.Duration
}

func newDemoCmd(env *Env) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the main job headless on a running `sim stack`",
		Long: "Run a day at the counter on the emulated station that `permitdesk sim stack`\n" +
			"serves from --stack: sync with the central server, read ID cards at the reader,\n" +
			"issue a card for each applicant, rewrite the address of the first card, push the\n" +
			"records, and check them on the central server. --out receives the printed faces\n" +
			"(PNG), the chip dumps (JSON), the rewritten strip and summary.json. The command\n" +
			"exits 0 only when every card verified and the central records match.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &demo{opts: o, log: env.ErrOut, config: filepath.Join(o.stack, stackConfig)}
			return d.run(cmd.Context(), env.Out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.stack, "stack", "", "directory of a running `permitdesk sim stack` (required)")
	fl.StringVar(&o.out, "out", "demo", "directory for the faces, chip dumps, strip and summary")
	fl.IntVar(&o.cards, "cards", 3, "cards to issue")
	fl.DurationVar(&o.wait, "wait", 3*time.Minute, "how long to wait for the stack to be ready")
	cmd.MarkFlagRequired("stack")
	return cmd
}

// demo runs the main job by calling permitdesk's own commands in-process,
// exactly as an operator would type them.
type demo struct {
	opts    demoOptions
	log     io.Writer
	config  string
	summary demoSummary
}

// demoSummary is written to summary.json.
type demoSummary struct {
	Station    string         `json:"station"`
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt"`
	Pulled     int            `json:"applicationsPulled"`
	Cards      []demoCard     `json:"cards"`
	Rewrite    *demoRewrite   `json:"rewrite,omitempty"`
	Central    []demoRecord   `json:"centralRecords"`
	Checks     []demoCheck    `json:"checks"`
	Sync       map[string]any `json:"syncStatus,omitempty"`
	OK         bool           `json:"ok"`
}

type demoCard struct {
	ApplicationID string   `json:"applicationId"`
	Name          string   `json:"name"`
	IDNumber      string   `json:"idNumber"`
	PermitNumber  string   `json:"permitNumber"`
	JobID         int64    `json:"jobId"`
	State         string   `json:"state"`
	Serial        string   `json:"serial"`
	IssueSeconds  float64  `json:"issueSeconds"`
	Faces         []string `json:"faces"`
	ChipDump      string   `json:"chipDump"`
	Verified      bool     `json:"verified"`
}

type demoRewrite struct {
	Serial       string `json:"serial"`
	OldHouseCode string `json:"oldHouseCode"`
	NewHouseCode string `json:"newHouseCode"`
	NewAddress   string `json:"newAddress"`
	Strip        string `json:"strip"`
	ChipDump     string `json:"chipDump"`
	Verified     bool   `json:"verified"`
}

type demoRecord struct {
	Kind         string `json:"kind"`
	PermitNumber string `json:"permitNumber"`
	CardSerial   string `json:"cardSerial"`
	Seq          int64  `json:"seq"`
}

type demoCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func (d *demo) run(ctx context.Context, out io.Writer) error {
	d.summary.StartedAt = time.Now().UTC()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"wait for the stack", d.waitReady},
		{"prepare the station", d.prepare},
		{"pull applications", d.pull},
		{"issue cards", d.issueAll},
		{"rewrite an address", d.rewrite},
		{"push records", d.push},
		{"check the central records", d.checkCentral},
	}
	var failed error
	for _, s := range steps {
		d.logf("== %s", s.name)
		if err := s.fn(ctx); err != nil {
			failed = fmt.Errorf("%s: %w", s.name, err)
			d.check(s.name, false, err.Error())
			break
		}
	}
	d.summary.FinishedAt = time.Now().UTC()
	d.summary.OK = failed == nil && d.allChecksPassed()
	if err := d.writeSummary(); err != nil && failed == nil {
		failed = err
	}
	d.printSummary(out)
	if failed != nil {
		return failed
	}
	if !d.summary.OK {
		return &ExitError{Code: 1, Message: "demo: a check failed; see " + filepath.Join(d.opts.out, "summary.json")}
	}
	return nil
}

func (d *demo) logf(format string, args ...any) { fmt.Fprintf(d.log, format+"\n", args...) }

func (d *demo) check(name string, ok bool, detail string) {
	d.summary.Checks = append(d.summary.Checks, demoCheck{Name: name, OK: ok, Detail: detail})
	mark := "ok  "
	if !ok {
		mark = "FAIL"
	}
	d.logf("   %s %s: %s", mark, name, detail)
}

func (d *demo) allChecksPassed() bool {
	for _, c := range d.summary.Checks {
		if !c.OK {
			return false
		}
	}
	return len(d.summary.Checks) > 0
}

// cli runs one permitdesk command in-process against the stack's
// configuration and returns what it printed on stdout.
func (d *demo) cli(ctx context.Context, creds [2]string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	env := &Env{Out: &stdout, ErrOut: &stderr}
	defer env.Close()
	os.Setenv(envOperator, creds[0])
	os.Setenv(envPassword, creds[1])
	os.Setenv("PERMITDESK_NEW_PASSWORD", demoPassword)
	root := NewRoot(env)
	root.SetArgs(append([]string{"--config", d.config}, args...))
	err := root.ExecuteContext(ctx)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var exit *ExitError
		if errors.As(err, &exit) && exit.Message != "" {
			msg = exit.Message
		}
		return stdout.Bytes(), fmt.Errorf("permitdesk %s: %v %s", strings.Join(args, " "), err, lastLines(msg, 5))
	}
	return stdout.Bytes(), nil
}

// lastLines returns the last n lines of s that are not log records.
func lastLines(s string, n int) string {
	var kept []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if !strings.HasPrefix(l, "time=") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept[max(0, len(kept)-n):], "\n")
}

var (
	asSupervisor = [2]string{demoSupervisor, demoPassword}
	asClerk      = [2]string{demoClerk, demoPassword}
	asTechnician = [2]string{demoTechnician, demoPassword}
	nobody       = [2]string{}
)

func (d *demo) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(d.opts.wait)
	for {
		if _, err := os.Stat(filepath.Join(d.opts.stack, stackReady)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %s: start `permitdesk sim stack --dir %s` first",
				filepath.Join(d.opts.stack, stackReady), d.opts.wait, d.opts.stack)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return os.MkdirAll(d.opts.out, 0o755)
}

// prepare adds the demo operators and a lot of blank cards when the station
// database is new.
func (d *demo) prepare(ctx context.Context) error {
	b, err := d.cli(ctx, asSupervisor, "operator", "list", "--json")
	if err != nil {
		// A new station database has no operator yet, and its first operator
		// is added without logging in.
		if _, err := d.cli(ctx, nobody, "operator", "add", "--login", demoSupervisor,
			"--role", "supervisor", "--name", "王建国"); err != nil {
			return err
		}
		b = nil
	}
	for _, op := range [][3]string{{demoClerk, "clerk", "李晓梅"}, {demoTechnician, "technician", "陈志远"}} {
		if bytes.Contains(b, []byte(`"`+op[0]+`"`)) {
			continue
		}
		if _, err := d.cli(ctx, asSupervisor, "operator", "add", "--login", op[0],
			"--role", op[1], "--name", op[2]); err != nil {
			return err
		}
		d.logf("   operator %s (%s) added", op[0], op[1])
	}
	lot := "DEMO-" + time.Now().UTC().Format("20060102-150405")
	if _, err := d.cli(ctx, asSupervisor, "stock", "receive", "--lot", lot,
		"--count", fmt.Sprint(d.opts.cards+5)); err != nil {
		return err
	}
	d.logf("   card lot %s received", lot)
	return nil
}

func (d *demo) pull(ctx context.Context) error {
	if _, err := d.cli(ctx, nobody, "sync", "--once"); err != nil {
		return err
	}
	st, err := d.syncStatus(ctx)
	if err != nil {
		return err
	}
	n, _ := st["applications"].(float64)
	d.summary.Pulled = int(n)
	d.check("applications pulled", n > 0, fmt.Sprintf("%d applications cached on the station", int(n)))
	return nil
}

func (d *demo) syncStatus(ctx context.Context) (map[string]any, error) {
	b, err := d.cli(ctx, nobody, "sync", "status", "--json")
	if err != nil {
		return nil, err
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sync status --json: %w", err)
	}
	return st, nil
}

func (d *demo) issueAll(ctx context.Context) error {
	for i := range d.opts.cards {
		if err := d.issueOne(ctx, i); err != nil {
			return fmt.Errorf("card %d: %w", i+1, err)
		}
	}
	return nil
}

// issueOne places ID card i on the reader, finds the applicant's approved
// application, issues the card and dumps its chip.
func (d *demo) issueOne(ctx context.Context, i int) error {
	id, err := d.readIDCard(ctx, i)
	if err != nil {
		return err
	}
	appID, err := d.findApplication(ctx, id.Number)
	if err != nil {
		return err
	}
	before := d.printedFiles()
	start := time.Now()
	b, err := d.cli(ctx, asClerk, "issue", "--application", appID, "--json")
	took := time.Since(start)
	if err != nil {
		return err
	}
	var job struct {
		ID           int64  `json:"id"`
		State        string `json:"state"`
		PermitNumber string `json:"permitNumber"`
		Card         *struct {
			Serial string `json:"serial"`
		} `json:"card"`
	}
	if err := json.Unmarshal(b, &job); err != nil || job.Card == nil {
		return fmt.Errorf("issue --json printed no job with a card: %v %s", err, b)
	}
	c := demoCard{ApplicationID: appID, Name: id.Name, IDNumber: id.Number, PermitNumber: job.PermitNumber,
		JobID: job.ID, State: job.State, Serial: job.Card.Serial, IssueSeconds: took.Seconds()}
	d.check(fmt.Sprintf("card %d issued", i+1), job.State == "issued",
		fmt.Sprintf("job %d for %s is %s on card %s in %.2f s", job.ID, appID, job.State, c.Serial, took.Seconds()))
	if c.Faces, err = d.copyNewFaces(before, i+1); err != nil {
		return err
	}
	d.check(fmt.Sprintf("card %d faces printed", i+1), len(c.Faces) > 0, strings.Join(c.Faces, ", "))
	dump, name, err := d.dumpCard(ctx, c.Serial, fmt.Sprintf("card-%d-chip.json", i+1))
	if err != nil {
		return err
	}
	c.ChipDump = name
	c.Verified = dump.Data.Permit.Number == c.PermitNumber && dump.Data.Holder.IDNumber == id.Number &&
		dump.Data.Holder.Name == id.Name
	d.check(fmt.Sprintf("card %d chip matches", i+1), c.Verified,
		fmt.Sprintf("chip holds permit %s for %s", dump.Data.Permit.Number, dump.Data.Holder.Name))
	d.summary.Cards = append(d.summary.Cards, c)
	return nil
}

func (d *demo) readIDCard(ctx context.Context, i int) (idcard.Identity, error) {
	if _, err := d.cli(ctx, nobody, "sim", "control", filepath.Join(d.opts.stack, stackIDReaderSk),
		"place", fmt.Sprint(i)); err != nil {
		return idcard.Identity{}, err
	}
	b, err := d.cli(ctx, nobody, "idcard", "read", "--json")
	if err != nil {
		return idcard.Identity{}, err
	}
	var read struct {
		Identity idcard.Identity `json:"identity"`
	}
	if err := json.Unmarshal(b, &read); err != nil || read.Identity.Number == "" {
		return idcard.Identity{}, fmt.Errorf("idcard read --json printed no identity: %v", err)
	}
	d.logf("   ID card read: %s", read.Identity.Name)
	return read.Identity, nil
}

// findApplication looks the ID number up in the applications the station
// pulled.
func (d *demo) findApplication(ctx context.Context, idNumber string) (string, error) {
	env := &Env{ConfigPath: d.config, Out: io.Discard, ErrOut: d.log}
	defer env.Close()
	s, err := issuanceSync(env)
	if err != nil {
		return "", err
	}
	apps, err := s.ApplicationsByIDNumber(ctx, idNumber)
	if err != nil {
		return "", err
	}
	if len(apps) == 0 {
		return "", fmt.Errorf("no approved application for the ID card read: was the sync complete?")
	}
	return apps[0].ID, nil
}

func (d *demo) printedFiles() []string {
	m, _ := filepath.Glob(filepath.Join(d.opts.stack, "printed", "*.png"))
	return m
}

// copyNewFaces copies the faces the printer emulator wrote since before.
func (d *demo) copyNewFaces(before []string, n int) ([]string, error) {
	var out []string
	for _, f := range d.printedFiles() {
		if slices.Contains(before, f) {
			continue
		}
		side := "front"
		if strings.Contains(filepath.Base(f), "back") {
			side = "back"
		}
		name := fmt.Sprintf("card-%d-%s.png", n, side)
		if err := copyFile(f, filepath.Join(d.opts.out, name)); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// dumpCard presents a stored card at the reader, dumps it to a file in the
// output directory, and takes it out again.
func (d *demo) dumpCard(ctx context.Context, serial, name string) (permitcard.Card, string, error) {
	sock := filepath.Join(d.opts.stack, stackCardSocket)
	if _, err := d.cli(ctx, nobody, "sim", "control", sock, "insert", serial); err != nil {
		return permitcard.Card{}, "", err
	}
	defer d.removeCard(ctx)
	b, err := d.cli(ctx, nobody, "card", "dump", "--json")
	if err != nil {
		return permitcard.Card{}, "", err
	}
	var c permitcard.Card
	if err := json.Unmarshal(b, &c); err != nil {
		return permitcard.Card{}, "", fmt.Errorf("card dump --json: %w", err)
	}
	return c, name, os.WriteFile(filepath.Join(d.opts.out, name), b, 0o644)
}

// removeCard takes the card out of the encoder reader and waits until
// pcscd reports the reader empty, as a clerk's hand does, so the next
// issuance does not find the card still listed.
func (d *demo) removeCard(ctx context.Context) {
	d.cli(ctx, nobody, "sim", "control", filepath.Join(d.opts.stack, stackCardSocket), "remove")
	env := &Env{ConfigPath: d.config, Out: io.Discard, ErrOut: io.Discard}
	defer env.Close()
	cfg, err := env.Config()
	if err != nil {
		return
	}
	r, err := pcsc.Open(pcsc.Options{Reader: cfg.Devices.Encoder.Name})
	if err != nil {
		return
	}
	defer r.Close()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.WaitRemoved(wctx); err != nil {
		d.logf("   the encoder reader still lists a card: %v", err)
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// rewrite gives the first issued card a new address from the central house
// register, then checks the chip and the printed strip.
func (d *demo) rewrite(ctx context.Context) error {
	if len(d.summary.Cards) == 0 {
		return errors.New("no card was issued")
	}
	card := d.summary.Cards[0]
	before, _, err := d.dumpCard(ctx, card.Serial, "card-1-chip-before-rewrite.json")
	if err != nil {
		return err
	}
	target, err := d.newHouseCode(ctx, before.Data.Address.HouseCode)
	if err != nil {
		return err
	}
	strips, _ := filepath.Glob(filepath.Join(d.opts.stack, "strips", "*.png"))
	sock := filepath.Join(d.opts.stack, stackCardSocket)
	if _, err := d.cli(ctx, nobody, "sim", "control", sock, "insert", card.Serial); err != nil {
		return err
	}
	_, rerr := d.cli(ctx, asTechnician, "rewrite", "--house-code", target.HouseCode, "--json")
	d.removeCard(ctx)
	if rerr != nil {
		return rerr
	}
	rw := &demoRewrite{Serial: card.Serial, OldHouseCode: before.Data.Address.HouseCode,
		NewHouseCode: target.HouseCode, NewAddress: target.District + target.Street + target.Community + target.Detail}
	d.summary.Rewrite = rw
	if rw.Strip, err = d.copyNewStrip(strips); err != nil {
		return err
	}
	d.check("address strip printed", rw.Strip != "", rw.Strip)
	after, name, err := d.dumpCard(ctx, card.Serial, "card-1-chip-after-rewrite.json")
	if err != nil {
		return err
	}
	rw.ChipDump = name
	rw.Verified = after.Data.Address.HouseCode == target.HouseCode && len(after.History) > 0 &&
		after.History[0].Address.HouseCode == before.Data.Address.HouseCode
	d.check("chip address rewritten", rw.Verified, fmt.Sprintf("chip address %s, history %d record(s), newest %s",
		after.Data.Address.HouseCode, len(after.History), firstHistoryCode(after)))
	return nil
}

func firstHistoryCode(c permitcard.Card) string {
	if len(c.History) == 0 {
		return "none"
	}
	return c.History[0].Address.HouseCode
}

// newHouseCode picks an active house code of the central register other than
// the current one.
func (d *demo) newHouseCode(ctx context.Context, current string) (permitcard.Address, error) {
	st, err := centralstore.Open(ctx, centralstore.Options{Dir: filepath.Join(d.opts.stack, "central")})
	if err != nil {
		return permitcard.Address{}, err
	}
	defer st.Close()
	codes, _, err := st.HouseCodeChanges(ctx, 0, 200)
	if err != nil {
		return permitcard.Address{}, err
	}
	for i := len(codes) - 1; i >= 0; i-- {
		a := codes[i].Address
		if a.HouseCode != current && string(codes[i].Status) == "active" {
			return permitcard.Address{HouseCode: a.HouseCode, District: a.District, Street: a.Street,
				Community: a.Community, Detail: a.Detail}, nil
		}
	}
	return permitcard.Address{}, errors.New("the central house register has no other active house code")
}

func (d *demo) copyNewStrip(before []string) (string, error) {
	now, _ := filepath.Glob(filepath.Join(d.opts.stack, "strips", "*.png"))
	var latest string
	for _, f := range now {
		if !slices.Contains(before, f) {
			latest = f
		}
	}
	if latest == "" {
		return "", nil
	}
	return "card-1-strip.png", copyFile(latest, filepath.Join(d.opts.out, "card-1-strip.png"))
}

func (d *demo) push(ctx context.Context) error {
	if _, err := d.cli(ctx, nobody, "sync", "--once"); err != nil {
		return err
	}
	st, err := d.syncStatus(ctx)
	if err != nil {
		return err
	}
	d.summary.Sync = st
	depth, _ := st["outboxDepth"].(float64)
	d.check("outbox drained", depth == 0, fmt.Sprintf("%d record(s) waiting", int(depth)))
	return nil
}

// checkCentral reads the central database and expects one issued record per
// card and one address change for the rewritten card.
func (d *demo) checkCentral(ctx context.Context) error {
	st, err := centralstore.Open(ctx, centralstore.Options{Dir: filepath.Join(d.opts.stack, "central")})
	if err != nil {
		return err
	}
	defer st.Close()
	cfgEnv := &Env{ConfigPath: d.config, Out: io.Discard, ErrOut: io.Discard}
	cfg, err := cfgEnv.Config()
	if err != nil {
		return err
	}
	d.summary.Station = cfg.StationID
	recs, err := st.Records(ctx, cfg.StationID)
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, r := range recs {
		d.summary.Central = append(d.summary.Central, demoRecord{Kind: r.Kind, PermitNumber: r.PermitNumber,
			CardSerial: r.CardSerial, Seq: r.Seq})
		count[r.Kind+"/"+r.CardSerial]++
	}
	for i, c := range d.summary.Cards {
		n := count[string(api.KindIssued)+"/"+c.Serial]
		d.check(fmt.Sprintf("central has card %d once", i+1), n == 1,
			fmt.Sprintf("%d issued record(s) for card %s, permit %s", n, c.Serial, c.PermitNumber))
	}
	if rw := d.summary.Rewrite; rw != nil {
		n := count[string(api.KindAddressChanged)+"/"+rw.Serial]
		d.check("central has the address change once", n == 1,
			fmt.Sprintf("%d address-change record(s) for card %s", n, rw.Serial))
	}
	return nil
}

func (d *demo) writeSummary() error {
	b, err := json.MarshalIndent(d.summary, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d.opts.out, "summary.json"), append(b, '\n'), 0o644)
}

func (d *demo) printSummary(w io.Writer) {
	passed := 0
	for _, c := range d.summary.Checks {
		if c.OK {
			passed++
		}
	}
	fmt.Fprintf(w, "demo: %d cards issued, %d of %d checks passed, output in %s\n",
		len(d.summary.Cards), passed, len(d.summary.Checks), d.opts.out)
	for _, c := range d.summary.Cards {
		fmt.Fprintf(w, "  %s  %s  permit %s  card %s  %s\n", c.ApplicationID, c.Name, c.PermitNumber, c.Serial, c.State)
	}
	if rw := d.summary.Rewrite; rw != nil {
		fmt.Fprintf(w, "  rewrite card %s: %s -> %s (%s)\n", rw.Serial, rw.OldHouseCode, rw.NewHouseCode, rw.NewAddress)
	}
}
