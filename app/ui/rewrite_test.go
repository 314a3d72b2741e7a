package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"permitdesk/app/config"
	"permitdesk/app/operators"
	"permitdesk/app/rewrite"
	appsync "permitdesk/app/sync"
	"permitdesk/devices"
	"permitdesk/devices/rewriter"
	"permitdesk/devices/serialport"
	rewritersim "permitdesk/devices/sim/rewriter"
)

func TestLookupHouseCodeFromCache(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	db := f.iss.DB()
	if _, err := db.ExecContext(ctx, `INSERT INTO sync_house_codes
		(code, seq, district, street, community, detail, status, pulled_at)
		VALUES ('4403040010010100002', 1, '福田区', '华富街道', '莲花一村社区', '彩田路2号3栋402', 'active',
		'2026-05-01T08:30:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	svc, err := appsync.New(appsync.Options{DB: db, StationID: "SZ-FT-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.app.opts.Houses = svc

	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.LookupHouseCode("4403040010010100002"); errorCode(err) != CodeForbidden {
		t.Errorf("lookup as clerk = %v, want code %q", err, CodeForbidden)
	}

	boss, err := f.ops.Login(ctx, "boss", "supervisor-pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ops.Add(ctx, boss, operators.NewOperator{Login: "tech1", Name: "赵六",
		Role: operators.Technician, Password: "tech-password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.Login("tech1", "tech-password"); err != nil {
		t.Fatal(err)
	}
	got, err := f.app.LookupHouseCode(" 4403040010010100002 ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Detail != "彩田路2号3栋402" || got.Online || got.Retired || got.AsOf != "2026-05-01T08:30:00Z" {
		t.Errorf("lookup = %+v", got)
	}
	if _, err := f.app.LookupHouseCode("4403049999999999999"); errorCode(err) != CodeNotFound {
		t.Errorf("unknown code = %v, want code %q", err, CodeNotFound)
	}
}

// unreachableRewriter fails the test on any call: the role and
// configuration checks must come first.
type unreachableRewriter struct {
	AddressRewriter
	t *testing.T
}

func (u unreachableRewriter) Read(context.Context) (rewrite.CardView, error) {
	u.t.Error("the rewrite service was called")
	return rewrite.CardView{}, nil
}

func (u unreachableRewriter) Check(context.Context, *operators.Session, string) (rewrite.Proposal, error) {
	u.t.Error("the rewrite service was called")
	return rewrite.Proposal{}, nil
}

// rewriteBindings calls each rewrite binding once.
var rewriteBindings = []struct {
	name string
	call func(a *App) error
}{
	{"RewriteReadiness", func(a *App) error { _, err := a.RewriteReadiness(); return err }},
	{"ReadRewriteCard", func(a *App) error { _, err := a.ReadRewriteCard(); return err }},
	{"PreviewRewrite", func(a *App) error { _, err := a.PreviewRewrite("4403040010010100002"); return err }},
	{"StartRewrite", func(a *App) error { _, err := a.StartRewrite("4403040010010100002", ""); return err }},
	{"RewriteJob", func(a *App) error { _, err := a.RewriteJob(1); return err }},
	{"RewriteJobs", func(a *App) error { _, err := a.RewriteJobs(); return err }},
	{"ResumeRewrite", func(a *App) error { _, err := a.ResumeRewrite(1); return err }},
	{"RollBackRewrite", func(a *App) error { _, err := a.RollBackRewrite(1); return err }},
	{"ReprintRewriteStrip", func(a *App) error { _, err := a.ReprintRewriteStrip(1); return err }},
}

func TestRewriteBindingsRejectClerk(t *testing.T) {
	f := newQueueFixture(t)
	f.app.opts.Rewrite = unreachableRewriter{t: t}
	for _, b := range rewriteBindings {
		if err := b.call(f.app); errorCode(err) != CodeNotLoggedIn {
			t.Errorf("%s without login = %v, want code %q", b.name, err, CodeNotLoggedIn)
		}
	}
	if _, err := f.app.Login("clerk1", "clerk-password"); err != nil {
		t.Fatal(err)
	}
	for _, b := range rewriteBindings {
		if err := b.call(f.app); errorCode(err) != CodeForbidden {
			t.Errorf("%s as clerk = %v, want code %q", b.name, err, CodeForbidden)
		}
	}
}

func TestRewriteBindingsNameMissingConfig(t *testing.T) {
	f := newQueueFixture(t)
	cfg := config.Default()
	f.app.opts.RewriteMissing = rewriteMissing(cfg)
	if _, err := f.app.Login("boss", "supervisor-pw"); err != nil {
		t.Fatal(err)
	}
	ready, err := f.app.RewriteReadiness()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"devices.desk_reader.name", "devices.rewriter.port", "devices.psam.name"}
	if ready.Ready || strings.Join(ready.Missing, ",") != strings.Join(want, ",") {
		t.Errorf("RewriteReadiness = %+v, want not ready, missing %v", ready, want)
	}
	for _, b := range rewriteBindings[1:] {
		err := b.call(f.app)
		if errorCode(err) != CodeDeviceNotConfig {
			t.Errorf("%s unconfigured = %v, want code %q", b.name, err, CodeDeviceNotConfig)
		}
		if err != nil && !strings.Contains(err.Error(), "devices.rewriter.port") {
			t.Errorf("%s message %q does not name devices.rewriter.port", b.name, err)
		}
	}

	f.app.opts.RewriteMissing, f.app.opts.RewriteError = nil, "desk reader: no PC/SC service"
	if _, err := f.app.ReadRewriteCard(); errorCode(err) != CodeUnavailable ||
		!strings.Contains(err.Error(), "no PC/SC service") {
		t.Errorf("ReadRewriteCard after a failed start = %v, want code %q with the reason", err, CodeUnavailable)
	}
}

func TestRewriteMissing(t *testing.T) {
	complete := func() config.Config {
		c := config.Default()
		c.Devices.DeskReader.Name = "Virtual PCD 00 00"
		c.Devices.Rewriter.Port = "/dev/ttyUSB1"
		c.Devices.PSAM.Name = "Virtual PCD 00 01"
		return c
	}
	for _, tc := range []struct {
		name   string
		change func(c *config.Config)
		want   string
	}{
		{"complete", func(*config.Config) {}, ""},
		{"encoder as desk reader", func(c *config.Config) {
			c.Devices.DeskReader.Name, c.Devices.Encoder.Name = "", "Virtual PCD 00 00"
		}, ""},
		{"no reader", func(c *config.Config) { c.Devices.DeskReader.Name = "" }, "devices.desk_reader.name"},
		{"rewriter by USB serial", func(c *config.Config) {
			c.Devices.Rewriter.Port, c.Devices.Rewriter.USBSerial = "", "FT1234"
		}, ""},
		{"no rewriter", func(c *config.Config) { c.Devices.Rewriter.Port = "" }, "devices.rewriter.port"},
		{"no PSAM reader", func(c *config.Config) { c.Devices.PSAM.Name = "" }, "devices.psam.name"},
		{"key file", func(c *config.Config) {
			c.Keys, c.Devices.PSAM.Name = config.Keys{Source: "file", KeyFile: "dev.key"}, ""
		}, ""},
		{"no key file", func(c *config.Config) { c.Keys = config.Keys{Source: "file"} }, "keys.key_file"},
	} {
		c := complete()
		tc.change(&c)
		if got := strings.Join(rewriteMissing(c), ","); got != tc.want {
			t.Errorf("%s: rewriteMissing = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRewriteErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", rewrite.ErrHouseCode, appsync.ErrHouseCodeNotFound), CodeNotFound},
		{fmt.Errorf("%w: house code retired", rewrite.ErrHouseCode), CodeInvalidArgument},
		{fmt.Errorf("%w: nothing to change", rewrite.ErrSameAddress), CodeInvalidArgument},
		{fmt.Errorf("%w: no rewrite job 9", rewrite.ErrNotFound), CodeNotFound},
		{fmt.Errorf("%w: job 3 needs attention", rewrite.ErrOpenJob), CodeBadTransition},
		{fmt.Errorf("%w: job 3 offers reprint", rewrite.ErrChoice), CodeBadTransition},
		{fmt.Errorf("%w: wait for it to finish", rewrite.ErrBusy), CodeDeviceBusy},
		{fmt.Errorf("%w: card is blank", rewrite.ErrNotPermitCard), CodeCardRejected},
		{fmt.Errorf("%w: forged", rewrite.ErrSealInvalid), CodeCardRejected},
		{fmt.Errorf("%w: revoked", rewrite.ErrRevoked), CodeCardRejected},
		{fmt.Errorf("%w: elsewhere", rewrite.ErrNotRegistered), CodeCardRejected},
		{fmt.Errorf("%w: torn", rewrite.ErrChipMismatch), CodeCardRejected},
		{fmt.Errorf("read: %w", devices.ErrNoCard), CodeDeviceNoCard},
	} {
		got := rewriteError(tc.err)
		if got.Code != tc.want || got.Message != tc.err.Error() {
			t.Errorf("rewriteError(%v) = %+v, want code %q and the message", tc.err, got, tc.want)
		}
	}
}

// busyRewriter is a rewrite service whose run lock another change holds.
type busyRewriter struct {
	AddressRewriter
}

func (busyRewriter) Check(context.Context, *operators.Session, string) (rewrite.Proposal, error) {
	return rewrite.Proposal{Card: rewrite.CardView{Serial: "00000000000000A1"}}, nil
}

func (busyRewriter) Subscribe(int) (<-chan rewrite.Progress, func()) {
	return make(chan rewrite.Progress), func() {}
}

func (busyRewriter) Start(context.Context, *operators.Session, string) (rewrite.Job, error) {
	return rewrite.Job{}, fmt.Errorf("%w: wait for it to finish", rewrite.ErrBusy)
}

func TestStartRewriteReturnsStartFailure(t *testing.T) {
	f := newQueueFixture(t)
	f.app.opts.Rewrite = busyRewriter{}
	if _, err := f.app.Login("boss", "supervisor-pw"); err != nil {
		t.Fatal(err)
	}
	_, err := f.app.StartRewrite("4403040010010100002", "00000000000000A1")
	if errorCode(err) != CodeDeviceBusy {
		t.Errorf("StartRewrite while another change runs = %v, want code %q", err, CodeDeviceBusy)
	}
}

func TestRewriterPortClosedWhenIdle(t *testing.T) {
	sim, err := rewritersim.New(rewritersim.Options{Link: filepath.Join(t.TempDir(), "rewriter"), CardInserted: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go sim.Run(ctx)
	t.Cleanup(func() { cancel(); sim.Wait() })
	r := &onDemandRewriter{idle: 100 * time.Millisecond, opts: rewriter.Options{
		Port: serialport.Options{Path: sim.Path(), Baud: 38400}, Timeout: 2 * time.Second}}
	t.Cleanup(r.Close)

	open := func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.rw != nil
	}
	for round := 1; round <= 2; round++ {
		st, err := r.Status(ctx)
		if err != nil {
			t.Fatalf("round %d: status: %v", round, err)
		}
		if st.Card != rewriter.CardAtInlet {
			t.Errorf("round %d: card sensor %v, want a card at the inlet", round, st.Card)
		}
		if !open() {
			t.Errorf("round %d: port closed right after use", round)
		}
		deadline := time.Now().Add(5 * time.Second)
		for open() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if open() {
			t.Fatalf("round %d: port still open 5 s after its last use, idle time 100 ms", round)
		}
	}
}
