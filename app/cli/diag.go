package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/diag"
	"permitdesk/app/operators"
	"permitdesk/app/store"
)

func newDiagCmd(env *Env) *cobra.Command {
	var f struct {
		asJSON, full bool
		devices      []string
	}
	cmd := &cobra.Command{
		Use:   "diag",
		Short: "Check every device, the central link and the database",
		Long: "Check pcscd, the card readers and the PSAM, the card printer, the rewriter, the ID\n" +
			"card reader, the scanner, the central link and the database. Each check prints\n" +
			"pass, warn, fail or skip with the reason, and for a warning or failure the fix.\n" +
			"The checks only read; tests that use a card are `diag action`. The exit code is 1\n" +
			"when any check fails. --json prints the versioned report that docs/diagnostics.md\n" +
			"describes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := diagService(cmd.Context(), env)
			if err != nil {
				return err
			}
			r, err := svc.Run(cmd.Context(), diag.RunOptions{Devices: f.devices, FullIntegrity: f.full})
			if err != nil {
				return err
			}
			if err := printReport(env.Out, r, f.asJSON); err != nil {
				return err
			}
			if r.Failed() {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON (schema "+fmt.Sprint(diag.Schema)+")")
	fl.StringSliceVar(&f.devices, "device", nil, "check only these devices: "+strings.Join(diag.Devices, ", "))
	fl.BoolVar(&f.full, "full", false, "run PRAGMA integrity_check instead of the faster quick_check")
	cmd.AddCommand(newDiagActionCmd(env), newDiagAPDUCmd(env), newDiagPrinterCmd(env), newDiagChartsCmd(env),
		newDiagBundleCmd(env))
	return cmd
}

// diagService builds the diagnostics service. A database that cannot be
// opened or migrated is left out, so the storage checks still report it.
func diagService(ctx context.Context, env *Env) (*diag.Service, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, err
	}
	o := diag.Options{Config: cfg, Logger: log}
	if _, statErr := os.Stat(filepath.Join(cfg.DataDir, store.FileName)); statErr == nil {
		db, err := env.DB(ctx)
		if err != nil {
			log.Warn("database not opened for diagnostics", "error", err)
		}
		o.DB = db
	}
	return diag.New(o), nil
}

func printReport(out io.Writer, r diag.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for i := 0; i < len(r.Checks); i++ {
		c := r.Checks[i]
		n := sameSkips(r.Checks[i:])
		if n > 1 {
			c.ID = c.Device + ".*"
			i += n - 1
		}
		printCheck(tw, c)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "\n%s: %d pass, %d warn, %d fail, %d skip\n", strings.ToUpper(string(r.Status)),
		r.Summary.Pass, r.Summary.Warn, r.Summary.Fail, r.Summary.Skip)
	return err
}

// sameSkips counts the skipped checks at the start of list that share a
// device and a reason, so the text output prints them as one line.
func sameSkips(list []diag.Check) int {
	n := 0
	for _, c := range list {
		if c.Status != diag.StatusSkip || c.Device != list[0].Device || c.Reason != list[0].Reason {
			break
		}
		n++
	}
	return n
}

func printCheck(w io.Writer, c diag.Check) {
	fmt.Fprintf(w, "%s\t%s\t%s\n", strings.ToUpper(string(c.Status)), c.ID, c.Reason)
	if c.Fix != "" {
		fmt.Fprintf(w, "\t\tfix: %s\n", c.Fix)
	}
}

// consoleSession logs the technician in; the caller logs out.
func consoleSession(ctx context.Context, env *Env) (*operators.Service, *operators.Session, error) {
	db, err := env.DB(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg, _ := env.Config()
	log, _ := env.Logger()
	ops := operators.New(db, operators.Options{SessionTimeout: cfg.Issuance.SessionTimeout.Duration, Logger: log})
	user, pass, err := credentials(env, envOperator, envPassword, "technician")
	if err != nil {
		return nil, nil, err
	}
	sess, err := ops.Login(ctx, user, pass)
	return ops, sess, err
}

// withSession runs fn with the diagnostics service and a technician's
// session, then logs out.
func withSession(ctx context.Context, env *Env, fn func(*diag.Service, *operators.Session) error) error {
	svc, err := diagService(ctx, env)
	if err != nil {
		return err
	}
	ops, sess, err := consoleSession(ctx, env)
	if err != nil {
		return err
	}
	defer ops.Logout(context.WithoutCancel(ctx), sess)
	return fn(svc, sess)
}

func newDiagActionCmd(env *Env) *cobra.Command {
	var yes bool
	var timeout time.Duration
	names := make([]string, len(diag.Actions))
	for i, a := range diag.Actions {
		names[i] = string(a)
	}
	cmd := &cobra.Command{
		Use:   "action NAME",
		Short: "Run a device test that uses a card or waits: " + strings.Join(names, ", "),
		Long: "Run one device test as a technician (log in with " + envOperator + " and " + envPassword + ",\n" +
			"or be asked):\n" +
			"  printer.test_card    feed a blank card, print the test pattern, eject it (needs --yes)\n" +
			"  rewriter.erase_test  erase the strip of the card at the rewriter inlet (needs --yes)\n" +
			"  idreader.test_read   read the ID card placed on the reader, within --timeout\n" +
			"  scanner.test_scan    wait --timeout for one barcode scan\n" +
			"Each use is recorded in the audit log. The exit code is 1 when the test fails.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSession(cmd.Context(), env, func(svc *diag.Service, sess *operators.Session) error {
				c, err := svc.RunAction(cmd.Context(), sess, diag.ActionRequest{Action: diag.Action(args[0]),
					Confirm: yes, TimeoutMs: timeout.Milliseconds()})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
				printCheck(tw, c)
				tw.Flush()
				if c.Status == diag.StatusFail {
					return &ExitError{Code: 1}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm a test that uses or changes a card")
	cmd.Flags().DurationVar(&timeout, "timeout", 15*time.Second, "how long the ID card read and the scan wait")
	return cmd
}

func newDiagAPDUCmd(env *Env) *cobra.Command {
	var req diag.APDURequest
	cmd := &cobra.Command{
		Use:   "apdu HEX",
		Short: "Send one command APDU as a technician and decode the status word",
		Long: "Send one command APDU to the card in the encoder (or --reader desk_reader or psam)\n" +
			"and print the response data and the status word with its meaning. Commands other\n" +
			"than SELECT, READ BINARY, READ RECORD, GET RESPONSE, GET CHALLENGE and GET DATA may\n" +
			"change the card and need --yes. Log in as a technician with " + envOperator + " and\n" +
			envPassword + ", or be asked. Each use is recorded in the audit log without the data field.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Hex = args[0]
			return withSession(cmd.Context(), env, func(svc *diag.Service, sess *operators.Session) error {
				res, err := svc.APDU(cmd.Context(), sess, req)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Out, "> %s\n< %s %s (%s)\n", res.Command, res.Data, res.SW, res.Meaning)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&req.Device, "reader", "encoder", "reader to use: encoder, desk_reader or psam")
	cmd.Flags().BoolVar(&req.Confirm, "yes", false, "confirm a command that may change the card")
	cmd.Flags().BoolVar(&req.Raw, "raw", false, "no T=0 handling: print exactly what the card returned")
	return cmd
}

func newDiagPrinterCmd(env *Env) *cobra.Command {
	var req diag.PrinterCommandRequest
	cmd := &cobra.Command{
		Use:   "printer-cmd COMMAND",
		Short: "Send one escape command to the card printer as a technician",
		Long: "Send one Evolis escape command, without ESC and CR, such as Rco;l or Rse;o, and\n" +
			"print the reply. Every command except the reads (R...) may change the printer's\n" +
			"settings or move a card and needs --yes. Downloads (D...) are refused. Log in as a\n" +
			"technician with " + envOperator + " and " + envPassword + ", or be asked. Each use is\n" +
			"recorded in the audit log.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Command = args[0]
			return withSession(cmd.Context(), env, func(svc *diag.Service, sess *operators.Session) error {
				res, err := svc.PrinterCommand(cmd.Context(), sess, req)
				if err != nil {
					return err
				}
				if res.Error != "" {
					return &ExitError{Code: 1, Message: fmt.Sprintf("printer error [%s]: %s", res.Code, res.Error)}
				}
				_, err = fmt.Fprintln(env.Out, res.Reply)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&req.Confirm, "yes", false, "confirm a command that is not a read")
	return cmd
}

func newDiagChartsCmd(env *Env) *cobra.Command {
	var days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "charts",
		Short: "Print jobs and failures per printer and day",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := diagService(cmd.Context(), env)
			if err != nil {
				return err
			}
			ch, err := svc.Charts(cmd.Context(), diag.ChartRequest{Days: days})
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Out).Encode(ch)
			}
			tw := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DEVICE\tDAY\tJOBS\tERRORS")
			for _, s := range ch.Devices {
				for _, d := range s.Days {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", s.Device, d.Day, d.Jobs, d.Errors)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&days, "days", 30, "number of days up to today")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDiagBundleCmd(env *Env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Write a support bundle (zip) with redacted logs, configuration and device identities",
		Long: "Write a zip archive for the vendor's support: the logs, the configuration with key\n" +
			"files named but not included, the device identities from a diagnostics run, the\n" +
			"most recent job events and the audit chain check. ID numbers are masked and keys\n" +
			"removed from every file.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := diagService(cmd.Context(), env)
			if err != nil {
				return err
			}
			if out == "" {
				out = "permitdesk-support-" + time.Now().UTC().Format("20060102T150405Z") + ".zip"
			}
			sum, err := svc.BundleToFile(cmd.Context(), out, diag.BundleOptions{Version: Version})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Out, "support bundle written to %s (%d files)\n", out, len(sum.Files))
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "zip file to write (default permitdesk-support-TIME.zip here)")
	return cmd
}
