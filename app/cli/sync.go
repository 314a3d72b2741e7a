package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/sync"
)

// syncService builds the sync service from the configuration. With no
// central.url it is offline only.
func syncService(ctx context.Context, env *Env) (*sync.Service, func(), error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, nil, err
	}
	db, err := env.DB(ctx)
	if err != nil {
		return nil, nil, err
	}
	var client *sync.Client
	closeFn := func() {}
	if cfg.Central.URL != "" {
		client, err = sync.NewClient(sync.ClientOptions{BaseURL: cfg.Central.URL, CAFile: cfg.Central.CAFile,
			CertFile: cfg.Central.CertFile, KeyFile: cfg.Central.KeyFile, Timeout: cfg.Central.Timeout.Duration})
		if err != nil {
			return nil, nil, err
		}
		closeFn = client.Close
	}
	svc, err := sync.New(sync.Options{DB: db, Client: client, StationID: cfg.StationID, Log: log,
		Interval: cfg.Central.SyncInterval.Duration, SealKeyFile: cfg.Central.SealKeyFile})
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return svc, closeFn, nil
}

func newSyncCmd(env *Env) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync with the central permit system: pull applications, push card records",
		Long: "Without --once, sync every central.sync_interval until interrupted, backing off while\n" +
			"the link fails. With --once, pull every feed, drain the outbox once and exit with:\n" +
			"  0  every queued record was sent\n" +
			"  1  the link failed; queued records stay queued\n" +
			"  3  the link worked, but records are still queued (waiting out a retry back-off)\n" +
			"     or the central system parked records as conflict or rejected in this run;\n" +
			"     `permitdesk sync status` lists them",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, closeFn, err := syncService(cmd.Context(), env)
			if err != nil {
				return err
			}
			defer closeFn()
			if !once {
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return svc.Run(ctx)
			}
			return syncOnce(cmd.Context(), env, svc)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "sync once and exit")
	cmd.AddCommand(newSyncStatusCmd(env), newSyncRequeueCmd(env))
	return cmd
}

// syncOnceUnsent is the exit status of `sync --once` when the link worked
// but records are still queued or were parked in this run.
const syncOnceUnsent = 3

// syncOnce runs one sync round, prints what it did, and returns an
// *ExitError with syncOnceUnsent when records were left unsent.
func syncOnce(ctx context.Context, env *Env, svc *sync.Service) error {
	rep, syncErr := svc.SyncOnce(ctx)
	p := rep.Pulled
	fmt.Fprintf(env.Out, "pulled %d applications, %d revocations, %d house codes\n",
		p.Applications, p.Revocations, p.HouseCodes)
	q := rep.Pushed
	fmt.Fprintf(env.Out, "pushed %d batches: %d accepted, %d duplicate, %d conflict, %d rejected, %d to retry\n",
		q.Batches, q.Accepted, q.Duplicate, q.Conflict, q.Rejected, q.Retry)
	if syncErr != nil {
		return fmt.Errorf("sync incomplete, queued records are kept: %w", syncErr)
	}

	st, err := svc.Status(ctx)
	if err != nil {
		return err
	}
	var unsent []string
	if st.OutboxDepth > 0 {
		unsent = append(unsent, fmt.Sprintf("%s still queued, waiting out a retry back-off "+
			"(%d of them set back in this run)", records(st.OutboxDepth), q.Retry))
	}
	if parked := q.Conflict + q.Rejected; parked > 0 {
		unsent = append(unsent, fmt.Sprintf("%s parked in this run (%d conflict, %d rejected)",
			records(parked), q.Conflict, q.Rejected))
	}
	if len(unsent) == 0 {
		return nil
	}
	return &ExitError{Code: syncOnceUnsent, Message: "sync incomplete: " + strings.Join(unsent, "; ") +
		"\nrun `permitdesk sync status` to see them and the reasons"}
}

func records(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

func newSyncStatusCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the link state, clock skew, outbox depth and parked records",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, closeFn, err := syncService(cmd.Context(), env)
			if err != nil {
				return err
			}
			defer closeFn()
			st, err := svc.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(env.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			cfg, _ := env.Config()
			return printSyncStatus(env.Out, cfg.Central.URL, st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printSyncStatus(out io.Writer, url string, st sync.Status) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	link := "not configured (offline only): set central.url"
	switch {
	case !st.Configured:
	case st.OfflineSince != nil:
		link = fmt.Sprintf("%s offline since %s", url, st.OfflineSince.Local().Format(time.DateTime))
	case st.Online:
		// Status reads the stored link state and does not contact the
		// server, so "online" is only as recent as the last exchange.
		link = fmt.Sprintf("%s online as of the last exchange at %s (%s ago); `permitdesk sync --once` checks it now",
			url, st.LastSuccess.Local().Format(time.DateTime), time.Since(*st.LastSuccess).Round(time.Second))
	default:
		link = url + " not contacted yet"
	}

	fmt.Fprintf(w, "central:\t%s\n", link)
	if st.LastSuccess != nil {
		fmt.Fprintf(w, "last success:\t%s\n", st.LastSuccess.Local().Format(time.DateTime))
	}
	if st.LastError != "" {
		fmt.Fprintf(w, "last error:\t%s\n", st.LastError)
	}
	if st.ClockSkewMs != nil {
		fmt.Fprintf(w, "clock skew:\t%v (server minus station)\n", (time.Duration(*st.ClockSkewMs) * time.Millisecond).Round(time.Millisecond))
	}
	if st.ClockWarning != "" {
		fmt.Fprintf(w, "warning:\t%s\n", st.ClockWarning)
	}

	fmt.Fprintf(w, "outbox:\t%d pending, %d sent, %d conflict, %d rejected\n", st.OutboxDepth, st.Sent, st.Conflicts, st.Rejected)
	fmt.Fprintf(w, "applications:\t%d cached\n", st.Applications)
	fmt.Fprintf(w, "cursors:\tapplications %d, revocations %d, house codes %d (server sequence %d)\n",
		st.Cursors[sync.FeedApplications], st.Cursors[sync.FeedRevocations], st.Cursors[sync.FeedHouseCodes], st.ServerSeq)
	for _, p := range st.Parked {
		fmt.Fprintf(w, "parked %s:\t%s %s card %s key %s: %s\n", p.State, p.Kind, p.PermitNumber, p.CardSerial, p.Key, p.Reason)
	}
	return w.Flush()
}

func newSyncRequeueCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "requeue KEY",
		Short: "Queue a parked record again under the same idempotency key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := syncService(cmd.Context(), env)
			if err != nil {
				return err
			}
			defer closeFn()
			if err := svc.Requeue(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "record %s queued again\n", args[0])
			return nil
		},
	}
}
