package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/audit"
	"permitdesk/app/operators"
)

func newAuditCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Verify and export the hash-chained audit log"}
	cmd.AddCommand(newAuditVerifyCmd(env), newAuditExportCmd(env))
	return cmd
}

func newAuditVerifyCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Recompute the audit chain and name the first record that was changed or removed",
		Long: "Recompute every record's hash from the one before and compare it with the stored\n" +
			"chain and head. Exit status 0: intact; 2: broken (the first bad record is named).\n" +
			"It only reads, so it needs no login.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := env.DB(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := audit.Verify(cmd.Context(), db)
			if err != nil {
				return err
			}
			if err := rep.Err(); err != nil {
				return &ExitError{Code: 2, Message: err.Error()}
			}
			fmt.Fprintf(env.Out, "audit log intact: %d records, head %d\n", rep.Rows, rep.Head)
			return nil
		},
	}
}

func newAuditExportCmd(env *Env) *cobra.Command {
	var from, to, format, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export audit records in a time range as CSV or JSON (supervisor)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			o := audit.ExportOptions{Format: format}
			var err error
			if o.From, err = parseAuditTime("--from", from); err != nil {
				return err
			}
			if o.To, err = parseAuditTime("--to", to); err != nil {
				return err
			}
			ie, err := operatorSession(ctx, env, false)
			if err != nil {
				return err
			}
			if err := operators.Require(ie.sess, operators.Supervisor); err != nil {
				return err
			}
			w := env.Out
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return fmt.Errorf("create export file: %w", err)
				}
				defer f.Close()
				w = f
			}
			db, _ := env.DB(ctx)
			n, err := audit.Export(ctx, db, w, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.ErrOut, "exported %d audit records\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first time included: 2006-01-02 or RFC 3339 (default: the start)")
	cmd.Flags().StringVar(&to, "to", "", "first time excluded: 2006-01-02 or RFC 3339 (default: now)")
	cmd.Flags().StringVar(&format, "format", "csv", "csv or json")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	return cmd
}

// parseAuditTime reads a date (local midnight) or an RFC 3339 time.
func parseAuditTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid %s %q: write a date such as 2026-03-01 or a time such as "+
		"2026-03-01T09:00:00+08:00", flag, v)
}
