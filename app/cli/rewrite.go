package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"permitdesk/app/cardface"
	"permitdesk/app/config"
	"permitdesk/app/operators"
	"permitdesk/app/rewrite"
	"permitdesk/devices"
	"permitdesk/devices/pcsc"
)

// rewriteFlags are the flags of the rewrite command.
type rewriteFlags struct {
	houseCode string
	asJSON    bool
	check     bool
	read      bool
	resume    int64
	rollBack  int64
	reprint   int64
	recover   bool
	reader    string
	keyFile   string
	port      string
}

func newRewriteCmd(env *Env) *cobra.Command {
	var f rewriteFlags
	cmd := &cobra.Command{
		Use:   "rewrite",
		Short: "Change the address on the permit card at the desk reader (chip and strip)",
		Long: "Read the permit card at the desk reader (devices.desk_reader, or devices.encoder when\n" +
			"no desk reader is configured), check its seal and revocation status, look the new\n" +
			"house code up (central register online, cached register offline), write the new\n" +
			"address to the chip and print it on the rewritable strip.\n\n" +
			"Log in as a technician or supervisor with " + envOperator + " and " + envPassword + ",\n" +
			"or be asked on a terminal. Exit status 0 means done, 2 means the job needs attention\n" +
			"(resume, roll back or reprint it with the flags below).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runRewrite(cmd.Context(), env, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.houseCode, "house-code", "", "house code of the new address, from the door plate")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	fl.BoolVar(&f.check, "check", false, "only check the card and the house code, and show the change")
	fl.BoolVar(&f.read, "read", false, "only read the card and show holder, address and history")
	fl.Int64Var(&f.resume, "resume", 0, "finish the interrupted job with this id on its card")
	fl.Int64Var(&f.rollBack, "roll-back", 0, "restore the old address of the interrupted job with this id")
	fl.Int64Var(&f.reprint, "reprint", 0, "print the strip of the job with this id again")
	fl.BoolVar(&f.recover, "recover", false, "first mark jobs left mid-way by a stopped workstation as needing attention")
	fl.StringVar(&f.reader, "reader", "", "substring of the PC/SC reader name (default devices.desk_reader.name)")
	fl.StringVar(&f.keyFile, "key-file", "", "development master-key file; overrides keys.source")
	fl.StringVar(&f.port, "port", "", "rewriter serial port (default devices.rewriter.port)")
	return cmd
}

// rewriteOutput is the JSON document that --json prints.
type rewriteOutput struct {
	Card     *rewrite.CardView `json:"card,omitempty"`
	Proposal *rewrite.Proposal `json:"proposal,omitempty"`
	Job      *rewrite.Job      `json:"job,omitempty"`
	Error    string            `json:"error,omitempty"`
}

func runRewrite(ctx context.Context, env *Env, f *rewriteFlags) error {
	if err := f.validate(); err != nil {
		return err
	}
	svc, sess, done, err := openRewrite(ctx, env, f)
	if err != nil {
		return err
	}
	defer done()
	if f.recover {
		n, err := svc.Recover(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.ErrOut, "%d interrupted job(s) marked as needing attention\n", n)
	}
	if f.read {
		v, err := svc.Read(ctx)
		if err != nil {
			return err
		}
		return printRewrite(env, f, rewriteOutput{Card: &v})
	}
	if f.check {
		p, err := svc.Check(ctx, sess, f.houseCode)
		if err != nil {
			return err
		}
		return printRewrite(env, f, rewriteOutput{Proposal: &p})
	}
	return runRewriteJob(ctx, env, f, svc, sess)
}

func (f *rewriteFlags) validate() error {
	n := 0
	for _, set := range []bool{f.houseCode != "", f.read, f.resume != 0, f.rollBack != 0, f.reprint != 0} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return errors.New("nothing to do: pass --house-code CODE, --read, --resume ID, --roll-back ID or --reprint ID")
	case n > 1:
		return errors.New("pass only one of --house-code, --read, --resume, --roll-back and --reprint")
	case f.check && f.houseCode == "":
		return errors.New("--check is missing --house-code: pass the house code to check")
	}
	return nil
}

func runRewriteJob(ctx context.Context, env *Env, f *rewriteFlags, svc *rewrite.Service, sess *operators.Session) error {
	events, stop := svc.Subscribe(0)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for p := range events {
			if !f.asJSON {
				printProgress(env.ErrOut, p)
			}
		}
	}()
	var job rewrite.Job
	var err error
	switch {
	case f.resume != 0:
		job, err = svc.Resume(ctx, sess, f.resume)
	case f.rollBack != 0:
		job, err = svc.RollBack(ctx, sess, f.rollBack)
	case f.reprint != 0:
		job, err = svc.Reprint(ctx, sess, f.reprint)
	default:
		job, err = svc.Start(ctx, sess, f.houseCode)
	}
	stop()
	<-printed
	if err != nil {
		return err
	}
	if err := printRewrite(env, f, rewriteOutput{Job: &job}); err != nil {
		return err
	}
	if job.State == rewrite.NeedsAttention {
		return &ExitError{Code: 2, Message: fmt.Sprintf("job %d needs attention: %s", job.ID, job.Attention)}
	}
	return nil
}

// openRewrite builds the rewrite service from the configuration and logs
// the operator in. done releases everything.
func openRewrite(ctx context.Context, env *Env, f *rewriteFlags) (*rewrite.Service, *operators.Session, func(), error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, nil, nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := env.DB(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	var closers []func()
	done := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*rewrite.Service, *operators.Session, func(), error) {
		done()
		return nil, nil, nil, err
	}
	ops := operators.New(db, operators.Options{SessionTimeout: cfg.Issuance.SessionTimeout.Duration, Logger: log})
	user, pass, err := credentials(env, envOperator, envPassword, "technician")
	if err != nil {
		return fail(err)
	}
	sess, err := ops.Login(ctx, user, pass)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { _ = ops.Logout(context.Background(), sess) })
	o := rewrite.Options{DB: db, StationID: cfg.StationID, Logger: log,
		BlockWhenRevocationUnknown: cfg.Issuance.OfflineRevocationPolicy == "block"}
	if err := deskReader(env, cfg, f, &o, &closers); err != nil {
		return fail(err)
	}
	if o.Keys, err = openKeys(ctx, cfg, &cardFlags{keyFile: f.keyFile}); err != nil {
		return fail(err)
	}
	closers = append(closers, func() { o.Keys.Close() })
	syncSvc, closeSync, err := syncService(ctx, env)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, closeSync)
	o.Registry = syncSvc
	if err := stripDevices(env, cfg, f, &o, &closers); err != nil {
		return fail(err)
	}
	// The pinned central.seal_key_file, or the keys cached by the last
	// pull. Without either the service asks the sync service on each read,
	// which fetches the keys when the central system answers.
	if keys, err := dumpSealKeys(ctx, env); err == nil {
		o.SealKeys = keys
	}
	svc, err := rewrite.New(o)
	if err != nil {
		return fail(err)
	}
	return svc, sess, done, nil
}

// deskReader opens the desk reader, or the encoder reader when no desk
// reader is configured. The reader prints a line to stderr when it starts
// waiting for a card.
func deskReader(env *Env, cfg config.Config, f *rewriteFlags, o *rewrite.Options, closers *[]func()) error {
	r := cfg.Devices.DeskReader
	if r.Name == "" && f.reader == "" {
		r = cfg.Devices.Encoder
	}
	name := f.reader
	if name == "" {
		name = r.Name
	}
	if name == "" {
		return fmt.Errorf("%w: no desk card reader: set devices.desk_reader.name (or devices.encoder.name), "+
			"or pass --reader (see `permitdesk card readers`)", devices.ErrNotConfigured)
	}
	reader, err := pcsc.Open(pcsc.Options{Reader: name, OnWaiting: waitingNotice(env)})
	if err != nil {
		return err
	}
	*closers = append(*closers, func() { reader.Close() })
	o.Reader, o.MaxAPDU, o.Extended = reader, r.MaxAPDU, r.Extended
	return nil
}

func stripDevices(env *Env, cfg config.Config, f *rewriteFlags, o *rewrite.Options, closers *[]func()) error {
	rw, err := openRewriter(env, f.port)
	if err != nil {
		return err
	}
	*closers = append(*closers, func() { rw.Close() })
	log, _ := env.Logger()
	renderer, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile,
		TemplateDir: cfg.Printing.TemplateDir, Logger: log})
	if err != nil {
		return err
	}
	o.Strip, o.Renderer = rw, renderer
	o.StripWait = cfg.Issuance.StepTimeout.Duration
	return nil
}

func printRewrite(env *Env, f *rewriteFlags, out rewriteOutput) error {
	if f.asJSON {
		e := json.NewEncoder(env.Out)
		e.SetIndent("", "  ")
		return e.Encode(out)
	}
	w := env.Out
	if out.Card != nil {
		printCardView(w, *out.Card)
	}
	if p := out.Proposal; p != nil {
		printCardView(w, p.Card)
		src := "central register"
		if !p.LookupOnline {
			src = "cached register as of " + p.LookupAsOf.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "new address  [%s] %s (%s)\n", p.NewAddress.HouseCode, p.NewAddress.Line, src)
	}
	if j := out.Job; j != nil {
		fmt.Fprintf(w, "job %d  card %s  permit %s  %s\n", j.ID, j.CardSerial, j.PermitNumber, j.State)
		fmt.Fprintf(w, "old  [%s] %s (sequence %d)\nnew  [%s] %s\n", j.OldAddress.HouseCode, j.OldAddress.Line,
			j.OldSequence, j.NewAddress.HouseCode, j.NewAddress.Line)
		if j.Attention != "" {
			fmt.Fprintf(w, "attention  %s\nchoices    %s\n", j.Attention, rewrite.JoinChoices(j.Choices))
		}
	}
	return nil
}

func printCardView(w io.Writer, v rewrite.CardView) {
	fmt.Fprintf(w, "card         %s (%s)\n", v.Serial, v.ChipState)
	if v.ReadError != "" {
		fmt.Fprintf(w, "read error   %s\n", v.ReadError)
	}
	if v.PermitNumber != "" {
		fmt.Fprintf(w, "holder       %s, %s, born %s, ID %s\n", v.Holder.Name, v.Holder.Sex, v.Holder.BirthDate,
			v.Holder.IDNumber)
		fmt.Fprintf(w, "permit       %s, station %s, valid %s to %s\n", v.PermitNumber, v.StationID, v.ValidFrom,
			v.ValidTo)
		fmt.Fprintf(w, "address      [%s] %s (sequence %d)\n", v.Address.HouseCode, v.Address.Line, v.Sequence)
		for _, h := range v.History {
			fmt.Fprintf(w, "history      %d until %s: [%s] %s\n", h.Sequence, h.ChangedOn, h.Address.HouseCode,
				h.Address.Line)
		}
		seal := "valid"
		if !v.SealValid {
			seal = "NOT VALID: " + v.SealError
		}
		fmt.Fprintf(w, "seal         %s\n", seal)
		if v.Revoked || v.RevocationNote != "" {
			fmt.Fprintf(w, "revocation   %s\n", v.RevocationNote)
		}
	}
	if v.OpenJob != nil {
		fmt.Fprintf(w, "open job     %s\n", openJobLine(v))
	}
}

// openJobLine describes the open job of a card, leaving out what is unknown.
func openJobLine(v rewrite.CardView) string {
	j := v.OpenJob
	line := fmt.Sprintf("%d %s", j.ID, j.State)
	if j.Attention != "" {
		line += ": " + j.Attention
	}
	if v.ChipCondition != "" {
		line += ", chip contains " + string(v.ChipCondition)
	}
	line += ", choices " + rewrite.JoinChoices(j.Choices)
	if j.State.MidWay() {
		line += ". If the workstation stopped, recover it with `" + rewrite.RecoverCommand(j) + "`"
	}
	return line
}

// printProgress prints one step of a job, without a message when it has none.
func printProgress(w io.Writer, p rewrite.Progress) {
	if p.Message == "" {
		fmt.Fprintf(w, "[%3d%%] %s\n", p.Percent, p.Step)
		return
	}
	fmt.Fprintf(w, "[%3d%%] %s: %s\n", p.Percent, p.Step, p.Message)
}
