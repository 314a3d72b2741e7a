package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"permitdesk/app/cardface"
	"permitdesk/app/config"
	"permitdesk/app/issuance"
	"permitdesk/app/operators"
	appsync "permitdesk/app/sync"
	"permitdesk/devices/pcsc"
)

// Environment variables for headless credentials.
const (
	envOperator           = "PERMITDESK_OPERATOR"
	envPassword           = "PERMITDESK_PASSWORD"
	envSupervisor         = "PERMITDESK_SUPERVISOR"
	envSupervisorPassword = "PERMITDESK_SUPERVISOR_PASSWORD"
)

// issuanceEnv holds the services an issuance command uses.
type issuanceEnv struct {
	ops  *operators.Service
	svc  *issuance.Service
	sync *appsync.Service
	sess *operators.Session
	// retryNeedsApproval is passed to the worker's options.
	retryNeedsApproval bool
}

// openIssuance builds the operator, sync and issuance services and logs the
// operator in.
func openIssuance(ctx context.Context, env *Env) (*issuanceEnv, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, err
	}
	db, err := env.DB(ctx)
	if err != nil {
		return nil, err
	}
	syncSvc, err := issuanceSync(env)
	if err != nil {
		return nil, err
	}
	ie := &issuanceEnv{sync: syncSvc,
		ops: operators.New(db, operators.Options{SessionTimeout: cfg.Issuance.SessionTimeout.Duration, Logger: log})}
	ie.svc = issuance.New(db, issuance.Options{StationID: cfg.StationID, Applications: syncSvc,
		Revocations: issuance.SyncRevocations{Sync: syncSvc}, Outbox: issuance.SyncOutbox{Sync: syncSvc},
		BlockWhenRevocationUnknown: cfg.Issuance.OfflineRevocationPolicy == "block",
		Operators:                  ie.ops, Logger: log})
	return ie, nil
}

// issuanceSync builds the sync service; without central.url it works from
// the local cache only.
func issuanceSync(env *Env) (*appsync.Service, error) {
	cfg, _ := env.Config()
	log, _ := env.Logger()
	db, err := env.DB(context.Background())
	if err != nil {
		return nil, err
	}
	o := appsync.Options{DB: db, StationID: cfg.StationID, Log: log, SealKeyFile: cfg.Central.SealKeyFile}
	if cfg.Central.URL != "" {
		c, err := appsync.NewClient(appsync.ClientOptions{BaseURL: cfg.Central.URL, CAFile: cfg.Central.CAFile,
			CertFile: cfg.Central.CertFile, KeyFile: cfg.Central.KeyFile, Timeout: cfg.Central.Timeout.Duration})
		if err != nil {
			return nil, err
		}
		o.Client = c
	}
	return appsync.New(o)
}

// login authenticates the operator from PERMITDESK_OPERATOR and
// PERMITDESK_PASSWORD, prompting on the terminal for what is missing.
func (ie *issuanceEnv) login(ctx context.Context, env *Env) error {
	empty, err := ie.ops.Empty(ctx)
	if err != nil {
		return err
	}
	if empty {
		return fmt.Errorf("%w: this station has no operators yet: add the first supervisor with "+
			"permitdesk operator add --login NAME --role supervisor (password from %s or the terminal)",
			operators.ErrNoSession, envNewPassword)
	}
	user, pass, err := credentials(env, envOperator, envPassword, "operator")
	if err != nil {
		return err
	}
	ie.sess, err = ie.ops.Login(ctx, user, pass)
	return err
}

// approve requests a supervisor's approval of action inside the session.
func (ie *issuanceEnv) approve(ctx context.Context, env *Env, action string) (string, error) {
	user, pass, err := credentials(env, envSupervisor, envSupervisorPassword, "supervisor approving the "+action)
	if err != nil {
		return "", err
	}
	ap, err := ie.ops.Approve(ctx, ie.sess, user, pass, action)
	return ap.ID, err
}

func credentials(env *Env, userVar, passVar, who string) (string, string, error) {
	user, pass := os.Getenv(userVar), os.Getenv(passVar)
	interactive := term.IsTerminal(int(os.Stdin.Fd()))
	if (user == "" || pass == "") && !interactive {
		return "", "", fmt.Errorf("%w: set %s and %s, or run on a terminal to be asked", operators.ErrNoSession,
			userVar, passVar)
	}
	if user == "" {
		fmt.Fprintf(env.ErrOut, "%s login: ", who)
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil {
			return "", "", fmt.Errorf("read login: %w", err)
		}
		user = strings.TrimSpace(line)
	}
	if pass == "" {
		fmt.Fprintf(env.ErrOut, "password for %s: ", user)
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(env.ErrOut)
		if err != nil {
			return "", "", fmt.Errorf("read password: %w", err)
		}
		pass = string(b)
	}
	return user, pass, nil
}

// openWorker opens the configured printer and encoder and a worker on them,
// and recovers jobs a previous run left mid-way.
func (ie *issuanceEnv) openWorker(ctx context.Context, env *Env) (*issuance.Worker, func(), error) {
	cfg, _ := env.Config()
	log, _ := env.Logger()
	printer, err := openPrinter(ctx, env, "")
	if err != nil {
		// The registry's error already names the printer.
		return nil, nil, err
	}
	enc, closeEnc, err := openEncoder(ctx, env, &cardFlags{}, true)
	if err != nil {
		printer.Close()
		return nil, nil, fmt.Errorf("encoder: %w", err)
	}
	probe, err := openProbe(env)
	if err != nil {
		closeEnc()
		printer.Close()
		return nil, nil, fmt.Errorf("encoder: %w", err)
	}
	closeAll := func() { probe.Close(); closeEnc(); printer.Close() }
	faces, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile,
		TemplateDir: cfg.Printing.TemplateDir, Logger: log})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	w, err := issuance.NewWorker(issuance.WorkerOptions{Service: ie.svc, CardPath: &issuance.EvolisPath{Printer: printer},
		Encoder: issuance.PermitCardEncoder{Encoder: enc, Probe: probe}, Faces: issuance.CardFaces{Renderer: faces},
		FacesDir: facesDir(cfg), LockDir: cfg.DataDir, StepTimeout: cfg.Issuance.StepTimeout.Duration,
		RetryNeedsApproval: ie.retryNeedsApproval, Logger: log})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	done := func() { w.Close(); closeAll() }
	recovered, err := w.Recover(ctx)
	if err != nil {
		done()
		return nil, nil, err
	}
	for _, j := range recovered {
		fmt.Fprintf(env.ErrOut, "job %d was caught mid-way and is now %s: %s\n", j.ID, j.State, j.Attention)
	}
	return w, done, nil
}

// facesDir returns printing.output_dir, or <data_dir>/faces when it is
// empty.
func facesDir(cfg config.Config) string {
	if cfg.Printing.OutputDir != "" {
		return cfg.Printing.OutputDir
	}
	return filepath.Join(cfg.DataDir, "faces")
}

// openProbe opens the encoder's reader a second time, without the waiting
// notice, so the worker can check for a card left in it before a feed.
func openProbe(env *Env) (*pcsc.Reader, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, err
	}
	name, err := encoderName(cfg, &cardFlags{})
	if err != nil {
		return nil, err
	}
	return pcsc.Open(pcsc.Options{Reader: name, Logger: log})
}

func newIssueCmd(env *Env) *cobra.Command {
	var appID string
	var asJSON, noHandover bool
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Issue the card of an approved application on the configured printer and encoder",
		Long: "Queue the application (or take its queued job), feed a card, write and verify the\n" +
			"chip, print the faces, eject, and record the hand-over. The operator logs in with\n" +
			envOperator + " and " + envPassword + ", or is asked on the terminal.\n" +
			"A job that stops (spoiled card, unknown state) is left in the queue: see\n" +
			"`permitdesk queue show ID`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := runIssue(cmd.Context(), env, appID, !noHandover)
			if j != nil {
				printJob(env, j, asJSON)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&appID, "application", "", "approved application id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the job as JSON")
	cmd.Flags().BoolVar(&noHandover, "no-handover", false, "stop at awaiting_handover instead of recording the hand-over")
	cmd.MarkFlagRequired("application")
	return cmd
}

func runIssue(ctx context.Context, env *Env, appID string, handover bool) (*issuance.Job, error) {
	appID, err := issuance.NormalizeApplicationID(appID)
	if err != nil {
		return nil, err
	}
	ie, err := openIssuance(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := ie.login(ctx, env); err != nil {
		return nil, err
	}
	defer ie.ops.Logout(context.WithoutCancel(ctx), ie.sess)
	w, done, err := ie.openWorker(ctx, env)
	if err != nil {
		return nil, err
	}
	defer done()
	ie.syncNow(ctx, env, "pull")
	defer ie.syncNow(context.WithoutCancel(ctx), env, "push")
	j, err := ie.jobFor(ctx, appID)
	if err != nil {
		return nil, err
	}
	if j.State == issuance.Queued {
		if j, err = w.RunJob(ctx, j.ID, ie.sess.Operator.Login); err != nil {
			return j, err
		}
	}
	if handover && j.State == issuance.AwaitingHandover {
		return ie.svc.Handover(ctx, ie.sess, j.ID)
	}
	return j, nil
}

// jobFor queues the application, or returns its open job.
func (ie *issuanceEnv) jobFor(ctx context.Context, appID string) (*issuance.Job, error) {
	j, err := ie.svc.Enqueue(ctx, ie.sess, appID)
	if !errors.Is(err, issuance.ErrJobOpen) {
		return j, err
	}
	open, lerr := ie.svc.List(ctx, issuance.ListOptions{States: []issuance.State{issuance.Queued,
		issuance.AwaitingHandover}})
	if lerr != nil {
		return nil, lerr
	}
	for _, o := range open {
		if o.ApplicationID == appID {
			return o, nil
		}
	}
	return nil, err
}

// printJob prints one job as text or JSON.
func printJob(env *Env, j *issuance.Job, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		enc.Encode(jobView{Job: j, Choices: j.Choices()})
		return
	}
	fmt.Fprintf(env.Out, "job %d  application %s  permit %s  %s  (attempt %d)\n", j.ID, j.ApplicationID,
		j.PermitNumber, j.State, j.Attempt)
	if j.Card != nil {
		fmt.Fprintf(env.Out, "  card %d  serial %s  %s  lot %s\n", j.Card.ID, orDash(j.Card.Serial), j.Card.State,
			orDash(j.Card.LotNumber))
	}
	if j.Attention != "" {
		fmt.Fprintf(env.Out, "  %s\n", j.Attention)
	}
	if c := j.Choices(); len(c) > 0 {
		fmt.Fprintf(env.Out, "  choices: %s\n", joinChoices(c))
	}
	if next := nextCommand(j); next != "" {
		fmt.Fprintf(env.Out, "  next: %s\n", next)
	}
}

// nextCommand returns the command line that moves the job on, or "" for a
// finished job.
func nextCommand(j *issuance.Job) string {
	switch j.State {
	case issuance.Queued:
		return fmt.Sprintf("permitdesk queue retry %d runs it on this station's printer", j.ID)
	case issuance.AwaitingHandover:
		return fmt.Sprintf("permitdesk queue handover %d once the holder has the card", j.ID)
	case issuance.NeedsAttention:
		return fmt.Sprintf("permitdesk queue retry %d --continue checks the card and goes on; "+
			"without --continue the card is spoiled, with a supervisor's approval", j.ID)
	case issuance.Spoiled:
		return fmt.Sprintf("permitdesk queue retry %d takes a new card, with a supervisor's approval", j.ID)
	}
	return ""
}

// jobView is a job with its choices, for --json.
type jobView struct {
	*issuance.Job
	Choices []issuance.Choice `json:"choices,omitempty"`
	Events  []issuance.Event  `json:"events,omitempty"`
}

func joinChoices(cs []issuance.Choice) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// syncNow pulls the central feeds or pushes the outbox once when a central
// system is configured. A failure is reported and left to the background
// sync: the local queue and outbox keep everything.
func (ie *issuanceEnv) syncNow(ctx context.Context, env *Env, what string) {
	cfg, _ := env.Config()
	if cfg.Central.URL == "" {
		return
	}
	var err error
	if what == "pull" {
		_, err = ie.sync.Pull(ctx)
	} else {
		_, err = ie.sync.Push(ctx)
	}
	if err != nil {
		fmt.Fprintf(env.ErrOut, "central system %s failed, continuing offline: %v\n", what, err)
	}
}
