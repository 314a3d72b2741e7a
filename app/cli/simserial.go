package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	evolissim "permitdesk/devices/sim/evolis"
	rewritersim "permitdesk/devices/sim/rewriter"
)

func init() {
	simCommands = append(simCommands, newSimPrinterCmd, newSimRewriterCmd)
}

type simPrinterFlags struct {
	link, out, cardControl, control, transcript string
	fast, shortWrites, coverOpen                bool
	cards, ribbon, ribbonOutAt, jamAt, blankAt  int
	baud                                        int
	late                                        []string
}

func newSimPrinterCmd(env *Env) *cobra.Command {
	var f simPrinterFlags
	cmd := &cobra.Command{
		Use:   "printer",
		Short: "Emulate the card printer on a pseudo-terminal",
		Long: "Emulate an Evolis-style card printer on a pseudo-terminal linked at --link.\n" +
			"Each printed side is written as a PNG to --out. Faults can be set with flags\n" +
			"or at run time with lines on the --control unix socket:\n\n" + evolissim.ControlHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimPrinter(cmd.Context(), env, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.link, "link", "", "path of the symbolic link to the emulated port (required)")
	fl.StringVar(&f.out, "out", "", "directory for card-NNNN-front.png and card-NNNN-back.png")
	fl.StringVar(&f.cardControl, "card-control", "", "unix socket of the card emulator, told to insert and remove cards at the contactless station")
	fl.StringVar(&f.control, "control", "", "unix socket for fault commands at run time")
	fl.StringVar(&f.transcript, "transcript", "", "file receiving one line per command and reply")
	fl.BoolVar(&f.fast, "fast", false, "no mechanical delays (default: realistic feed, print and eject times)")
	fl.IntVar(&f.cards, "cards", 100, "blank cards in the feeder")
	fl.IntVar(&f.ribbon, "ribbon", 1000, "panels left on the ribbon")
	fl.IntVar(&f.ribbonOutAt, "ribbon-out-at", 0, "the ribbon ends when this card (counted from 1) is printed")
	fl.IntVar(&f.jamAt, "jam-at", 0, "this card jams as it is fed")
	fl.IntVar(&f.blankAt, "blank-eject-at", 0, "this card is ejected blank and the next one fed")
	fl.BoolVar(&f.coverOpen, "cover-open", false, "start with the cover open")
	fl.BoolVar(&f.shortWrites, "short-writes", false, "send replies one byte at a time")
	fl.StringSliceVar(&f.late, "late", nil, "delay the first reply to a command, as CMD=DURATION (e.g. Se=8s)")
	fl.IntVar(&f.baud, "baud", 0, "pace reading to this line speed in bit/s; 0 reads at pseudo-terminal speed")
	cmd.MarkFlagRequired("link")
	return cmd
}

func runSimPrinter(ctx context.Context, env *Env, f simPrinterFlags) error {
	log, err := env.Logger()
	if err != nil {
		return err
	}
	opts := evolissim.Options{Link: f.link, OutDir: f.out, Cards: f.cards, Ribbon: f.ribbon,
		WireBaud: f.baud, Logger: log}
	if !f.fast {
		opts.Timing = evolissim.RealisticTiming()
	}
	if f.cardControl != "" {
		opts.Slot = evolissim.SocketSlot{Path: f.cardControl}
	}
	if f.transcript != "" {
		tf, err := os.Create(f.transcript)
		if err != nil {
			return fmt.Errorf("create transcript file: %w", err)
		}
		defer tf.Close()
		opts.Transcript = tf
	}
	sim, err := evolissim.New(opts)
	if err != nil {
		return err
	}
	sim.SetFeeder(f.cards) // Options.Cards treats 0 as the default; --cards 0 means empty
	if err := applyPrinterFaults(sim, f); err != nil {
		return err
	}
	return serveSim(ctx, env, "printer", sim.Path(), f.control, sim.Run, sim.ServeControl)
}

func applyPrinterFaults(sim *evolissim.Sim, f simPrinterFlags) error {
	if f.ribbonOutAt > 0 {
		sim.RibbonOutAt(f.ribbonOutAt)
	}
	if f.jamAt > 0 {
		sim.JamAt(f.jamAt)
	}
	if f.blankAt > 0 {
		sim.BlankEjectAt(f.blankAt)
	}
	sim.SetCoverOpen(f.coverOpen)
	sim.ShortWrites(f.shortWrites)
	for _, l := range f.late {
		cmd, dur, ok := strings.Cut(l, "=")
		d, err := time.ParseDuration(dur)
		if !ok || err != nil || cmd == "" {
			return fmt.Errorf("invalid --late %q: write it as CMD=DURATION, such as Se=8s", l)
		}
		sim.LateReply(cmd, d)
	}
	return nil
}

// serveSim runs an emulator and its optional control socket until SIGINT
// or SIGTERM.
func serveSim(ctx context.Context, env *Env, name, path, control string,
	run func(context.Context) error, serveControl func(context.Context, string) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if control != "" {
		go func() {
			if err := serveControl(ctx, control); err != nil {
				fmt.Fprintf(env.ErrOut, "%s emulator control socket: %v\n", name, err)
			}
		}()
	}
	fmt.Fprintf(env.Out, "%s emulator on %s; stop with Ctrl-C\n", name, path)
	err := run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func newSimRewriterCmd(env *Env) *cobra.Command {
	var link, out, control string
	var fast, noCard bool
	cmd := &cobra.Command{
		Use:   "rewriter",
		Short: "Emulate the rewritable-strip printer on a pseudo-terminal",
		Long: "Emulate a TCP300II-style rewriter on a pseudo-terminal linked at --link. After\n" +
			"each erase or print the card's strip is written to --out as strip-NNNN.png.\n" +
			"--control takes insert, remove, cover open|closed, nak N, corrupt N, hangup MS\n" +
			"and status.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := env.Logger()
			if err != nil {
				return err
			}
			opts := rewritersim.Options{Link: link, OutDir: out, CardInserted: !noCard, Logger: log}
			if !fast {
				opts.Timing = rewritersim.RealisticTiming()
			}
			sim, err := rewritersim.New(opts)
			if err != nil {
				return err
			}
			return serveSim(cmd.Context(), env, "rewriter", sim.Path(), control, sim.Run, sim.ServeControl)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&link, "link", "", "path of the symbolic link to the emulated port (required)")
	fl.StringVar(&out, "out", "", "directory for strip-NNNN.png")
	fl.StringVar(&control, "control", "", "unix socket for card and fault commands at run time")
	fl.BoolVar(&fast, "fast", false, "no mechanical delays")
	fl.BoolVar(&noCard, "no-card", false, "start with no card at the inlet")
	cmd.MarkFlagRequired("link")
	return cmd
}
