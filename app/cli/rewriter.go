package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/cardface"
	"permitdesk/devices/rewriter"
)

func newRewriterCmd(env *Env) *cobra.Command {
	var port string
	cmd := &cobra.Command{Use: "rewriter", Short: "Rewritable-strip printer diagnostics"}
	cmd.PersistentFlags().StringVar(&port, "port", "", "serial port path (default devices.rewriter.port)")
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Print the rewriter's ROM version, sensors and card transport count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rw, err := openRewriter(env, port)
			if err != nil {
				return err
			}
			defer rw.Close()
			return printRewriterStatus(cmd.Context(), env, rw, asJSON)
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	testStrip := &cobra.Command{
		Use:   "test-strip",
		Short: "Erase the card's strip and print the sample permit's address on it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printTestStrip(cmd.Context(), env, port)
		},
	}
	cmd.AddCommand(status, testStrip)
	return cmd
}

func openRewriter(env *Env, port string) (*rewriter.Rewriter, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, err
	}
	return rewriter.Open(rewriter.Options{Port: serialOptions(cfg.Devices.Rewriter, port),
		Timeout: cfg.Devices.Rewriter.Timeout.Duration, Logger: log})
}

type rewriterStatus struct {
	ROM       string `json:"rom"`
	Card      string `json:"card"`
	CoverOpen bool   `json:"coverOpen"`
	Sensors   string `json:"sensors"`
	Count     int    `json:"count"`
}

func printRewriterStatus(ctx context.Context, env *Env, rw *rewriter.Rewriter, asJSON bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rom, err := rw.ROMVersion(ctx)
	if err != nil {
		return err
	}
	st, err := rw.Status(ctx)
	if err != nil {
		return err
	}
	n, err := rw.Count(ctx)
	if err != nil {
		return err
	}
	out := rewriterStatus{ROM: rom, Card: cardText(st.Card), CoverOpen: st.CoverOpen, Sensors: st.Raw, Count: n}
	if asJSON {
		return json.NewEncoder(env.Out).Encode(out)
	}
	fmt.Fprintf(env.Out, "rom      %s\ncard     %s\ncover    %s\nsensors  %s\ncount    %d\n",
		out.ROM, out.Card, openClosed(out.CoverOpen), out.Sensors, out.Count)
	return nil
}

func cardText(c rewriter.CardSensor) string {
	switch c {
	case rewriter.CardAtInlet:
		return "at inlet"
	case rewriter.CardWaiting:
		return "waiting for removal"
	}
	return "none"
}

func printTestStrip(ctx context.Context, env *Env, port string) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	r, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile, TemplateDir: cfg.Printing.TemplateDir})
	if err != nil {
		return err
	}
	img, err := r.StripImage(cardface.SamplePermit())
	if err != nil {
		return err
	}
	rw, err := openRewriter(env, port)
	if err != nil {
		return err
	}
	defer rw.Close()
	if err := rw.Rewrite(ctx, img); err != nil {
		return err
	}
	fmt.Fprintln(env.Out, "strip erased and printed; the card is out of the front slot")
	return nil
}
