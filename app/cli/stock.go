package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"permitdesk/app/issuance"
	"permitdesk/app/operators"
)

func newStockCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "stock", Short: "Card stock: receive lots, adjust counts, list and reconcile"}
	cmd.AddCommand(newStockReceiveCmd(env), newStockAdjustCmd(env), newStockListCmd(env), newStockReconcileCmd(env))
	return cmd
}

func newStockReceiveCmd(env *Env) *cobra.Command {
	var lot string
	var count int64
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Record a box of blank cards (supervisor)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ie, err := operatorSession(cmd.Context(), env, false)
			if err != nil {
				return err
			}
			l, err := ie.svc.ReceiveLot(cmd.Context(), ie.sess, lot, count)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "lot %s: %d cards received, %d on hand\n", l.Number, l.Received, l.OnHand)
			return nil
		},
	}
	cmd.Flags().StringVar(&lot, "lot", "", "lot number printed on the box (required)")
	cmd.Flags().Int64Var(&count, "count", 0, fmt.Sprintf("number of cards in the box, 1 to %d (required)",
		issuance.MaxLotSize))
	cmd.MarkFlagRequired("lot")
	cmd.MarkFlagRequired("count")
	return cmd
}

func newStockAdjustCmd(env *Env) *cobra.Command {
	var lot, reason string
	var delta int64
	cmd := &cobra.Command{
		Use:   "adjust",
		Short: "Correct a lot's count after a physical count (supervisor)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ie, err := operatorSession(cmd.Context(), env, false)
			if err != nil {
				return err
			}
			l, err := ie.svc.Adjust(cmd.Context(), ie.sess, lot, delta, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "lot %s: %d on hand\n", l.Number, l.OnHand)
			return nil
		},
	}
	cmd.Flags().StringVar(&lot, "lot", "", "lot number (required)")
	cmd.Flags().Int64Var(&delta, "delta", 0, "cards to add (positive) or remove (negative)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the count changes (required)")
	cmd.MarkFlagRequired("lot")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func newStockListCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List lots with received, adjusted, taken and on-hand counts (supervisor)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ie, err := operatorLogin(cmd.Context(), env, operators.Supervisor)
			if err != nil {
				return err
			}
			lots, err := ie.svc.Lots(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Out).Encode(lots)
			}
			tw := tabwriter.NewWriter(env.Out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LOT\tRECEIVED\tADJUSTED\tTAKEN\tON HAND")
			for _, l := range lots {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", l.Number, l.Received, l.Adjusted, l.Taken, l.OnHand)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStockReconcileCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Check that every card taken from stock is issued, spoiled, voided or in a job (supervisor)",
		Long:  "Exit status 0 when the stock reconciles, 2 when it does not (each mismatch is listed).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ie, err := operatorLogin(cmd.Context(), env, operators.Supervisor)
			if err != nil {
				return err
			}
			r, err := ie.svc.Reconcile(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				json.NewEncoder(env.Out).Encode(r)
			} else {
				fmt.Fprintf(env.Out, "received %d, adjusted %d, taken %d, on hand %d\ncards: %s\n", r.Received,
					r.Adjusted, r.Taken, r.OnHand, r.CardStates())
				for _, p := range r.Problems {
					fmt.Fprintln(env.Out, "  "+p)
				}
			}
			if len(r.Problems) > 0 {
				return &ExitError{Code: 2, Message: fmt.Sprintf("stock does not reconcile: %d problems", len(r.Problems))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
