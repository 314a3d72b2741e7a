package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"permitdesk/app/issuance"
)

func newQueueCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "List, show, retry, hand over, void and reprint issuance jobs",
		Long: "List, show, retry, hand over, void and reprint issuance jobs. Every queue command\n" +
			"logs the operator in with " + envOperator + " and " + envPassword + ", or asks on the\n" +
			"terminal.",
	}
	cmd.AddCommand(newQueueListCmd(env), newQueueShowCmd(env), newQueueRetryCmd(env), newQueueHandoverCmd(env),
		newQueueVoidCmd(env), newQueueReprintCmd(env))
	return cmd
}

func parseJobID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("invalid job id %q: give the number that `permitdesk queue list` shows", arg)
	}
	return id, nil
}

func newQueueListCmd(env *Env) *cobra.Command {
	var states []string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := issuance.ListOptions{Limit: limit}
			for _, name := range states {
				st, err := issuance.ParseState(name)
				if err != nil {
					return err
				}
				o.States = append(o.States, st)
			}
			ie, err := operatorLogin(cmd.Context(), env)
			if err != nil {
				return err
			}
			jobs, err := ie.svc.List(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				if jobs == nil {
					jobs = []*issuance.Job{}
				}
				return json.NewEncoder(env.Out).Encode(jobs)
			}
			tw := tabwriter.NewWriter(env.Out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tAPPLICATION\tPERMIT\tSTATE\tCARD\tUPDATED")
			for _, j := range jobs {
				serial := "-"
				if j.Card != nil {
					serial = orDash(j.Card.Serial)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.ApplicationID, j.PermitNumber, j.State, serial,
					j.UpdatedAt.Local().Format("2006-01-02 15:04:05"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only jobs in these states, comma-separated (queued, needs_attention, ...)")
	cmd.Flags().IntVar(&limit, "limit", 100, "maximum number of jobs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newQueueShowCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a job, its card, its history and what can be done with it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			ie, err := operatorLogin(cmd.Context(), env)
			if err != nil {
				return err
			}
			j, err := ie.svc.Job(cmd.Context(), id)
			if err != nil {
				return err
			}
			events, err := ie.svc.Events(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(env.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(jobView{Job: j, Choices: j.Choices(), Events: events})
			}
			printJob(env, j, false)
			for _, e := range events {
				fmt.Fprintf(env.Out, "  %s  %-17s -> %-17s %s\n", e.At.Local().Format("15:04:05.000"), e.From, e.To,
					e.Detail)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newQueueRetryCmd(env *Env) *cobra.Command {
	var cont, asJSON bool
	cmd := &cobra.Command{
		Use:   "retry ID",
		Short: "Retry a spoiled job, or one that needs attention, on the configured devices",
		Long: "By default the job's card goes to the reject box, is recorded as spoiled, and the\n" +
			"job runs again with a new card; a supervisor approves that with " + envSupervisor + " and\n" +
			envSupervisorPassword + " (a queued job holds no card and needs no approval). With\n" +
			"--continue the card at the station is read back and checked first, and the job\n" +
			"continues from the last step that check proves.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			ie, err := openIssuance(ctx, env)
			if err != nil {
				return err
			}
			if err := ie.login(ctx, env); err != nil {
				return err
			}
			choice := issuance.ChoiceRetry
			if cont {
				choice = issuance.ChoiceContinue
			}
			approval, err := ie.approveRetry(ctx, env, id, choice)
			if err != nil {
				return err
			}
			ie.retryNeedsApproval = true
			w, done, err := ie.openWorker(ctx, env)
			if err != nil {
				return err
			}
			defer done()
			j, err := w.Resolve(ctx, ie.sess, id, choice, approval, "")
			if j != nil {
				printJob(env, j, asJSON)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&cont, "continue", false, "verify the card at the station and continue instead of taking a new card")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newQueueHandoverCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "handover ID",
		Short: "Record that the card of a job was handed to the holder",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			ie, err := openIssuance(cmd.Context(), env)
			if err != nil {
				return err
			}
			if err := ie.login(cmd.Context(), env); err != nil {
				return err
			}
			j, err := ie.svc.Handover(cmd.Context(), ie.sess, id)
			if err != nil {
				return err
			}
			printJob(env, j, false)
			return nil
		},
	}
}

func newQueueVoidCmd(env *Env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "void ID",
		Short: "Void a job and its card; a supervisor approves with " + envSupervisor + " and " + envSupervisorPassword,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseJobID(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			ie, err := openIssuance(ctx, env)
			if err != nil {
				return err
			}
			if err := ie.login(ctx, env); err != nil {
				return err
			}
			approval, err := ie.approve(ctx, env, issuance.ApproveVoid)
			if err != nil {
				return err
			}
			j, err := ie.voidJob(ctx, env, id, approval, reason)
			if err != nil {
				return err
			}
			printJob(env, j, false)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the job is voided (required)")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newQueueReprintCmd(env *Env) *cobra.Command {
	var appID, reason string
	cmd := &cobra.Command{
		Use:   "reprint",
		Short: "Void the issued card of an application and queue a new one; needs a supervisor's approval",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ie, err := openIssuance(ctx, env)
			if err != nil {
				return err
			}
			if err := ie.login(ctx, env); err != nil {
				return err
			}
			approval, err := ie.approve(ctx, env, issuance.ApproveReprint)
			if err != nil {
				return err
			}
			j, err := ie.svc.Reprint(ctx, ie.sess, appID, approval, reason)
			if err != nil {
				return err
			}
			printJob(env, j, false)
			return nil
		},
	}
	cmd.Flags().StringVar(&appID, "application", "", "application whose card is replaced (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the card is replaced (required)")
	cmd.MarkFlagRequired("application")
	cmd.MarkFlagRequired("reason")
	return cmd
}

// approveRetry requests a supervisor's approval when a retry would spoil
// the job's card. It returns no approval for a queued job or a continue.
func (ie *issuanceEnv) approveRetry(ctx context.Context, env *Env, id int64, choice issuance.Choice) (string, error) {
	if choice != issuance.ChoiceRetry {
		return "", nil
	}
	j, err := ie.svc.Job(ctx, id)
	if err != nil {
		return "", err
	}
	if j.State == issuance.Queued {
		return "", nil
	}
	return ie.approve(ctx, env, issuance.ApproveRetry)
}

// voidJob voids a job. The card of a job that needs attention may still be
// in the printer, so that case goes through the worker, which sends the
// card to the reject box first.
func (ie *issuanceEnv) voidJob(ctx context.Context, env *Env, id int64, approval, reason string) (
	*issuance.Job, error) {
	j, err := ie.svc.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State != issuance.NeedsAttention {
		return ie.svc.Void(ctx, ie.sess, id, approval, reason)
	}
	w, done, err := ie.openWorker(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("job %d needs attention and its card may be in the printer: %w", id, err)
	}
	defer done()
	return w.Resolve(ctx, ie.sess, id, issuance.ChoiceVoid, approval, reason)
}
