package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"permitdesk/devices/keys"
	"permitdesk/devices/pcsctest"
	"permitdesk/devices/permitcard"
	simcard "permitdesk/devices/sim/card"
	"permitdesk/devices/sim/psam"
)

func init() {
	simCommands = append(simCommands, newSimCardCmd, newSimPSAMCmd)
}

func newSimCardCmd(env *Env) *cobra.Command {
	var o simcard.Options
	var keyFile, serial, control string
	var insert bool
	cmd := &cobra.Command{
		Use:   "card",
		Short: "Emulate permit cards in the encoder reader (vpcd, Virtual PCD 00 00)",
		Long: "Connect to pcscd's vpcd driver and emulate permit cards. Cards come from a\n" +
			"hopper of blank cards; --control opens a unix socket with the line protocol\n" +
			"insert blank | insert SERIAL | remove | status | fault ... | help (see the\n" +
			"devices/sim/card package documentation).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := env.Logger()
			if err != nil {
				return err
			}
			o.Logger = log
			if o.MasterKey, err = loadSimKey(keyFile); err != nil {
				return err
			}
			e, err := simcard.New(o)
			if err != nil {
				return err
			}
			unlock, err := pcsctest.LockAddr(o.Addr)
			if err != nil {
				return err
			}
			defer unlock()
			if err := insertAtStart(env, e, insert, serial); err != nil {
				return err
			}
			return runSim(cmd.Context(), func(ctx context.Context, g *errgroup.Group) {
				g.Go(func() error { return e.Run(ctx) })
				if control != "" {
					g.Go(func() error { return e.ServeControl(ctx, control) })
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", simcard.DefaultAddr, "vpcd address (host:port)")
	fl.StringVar(&o.StateDir, "state-dir", "", "directory keeping each card by serial (empty: memory only)")
	fl.IntVar(&o.Hopper, "hopper", 50, "number of blank cards in the hopper")
	fl.IntVar(&o.MaxTries, "max-tries", 3, "EXTERNAL AUTHENTICATE tries before the card key blocks")
	fl.BoolVar(&o.T0, "t0", false, "behave as a T=0 card (61xx for case-4 commands, 6Cxx for a wrong Le)")
	fl.IntVar(&o.T0Chunk, "t0-chunk", 0, "largest length announced by one 61xx (0: 256)")
	fl.BoolVar(&o.ShortOnly, "short-only", false, "reject extended-length APDUs with 6700")
	fl.IntVar(&o.Faults.RemoveAfter, "remove-after", 0, "remove the card instead of answering command N (0: off)")
	fl.IntVar(&o.Faults.TearUpdate, "tear", 0, "tear the Nth UPDATE BINARY halfway and remove the card (0: off)")
	fl.DurationVar(&o.Faults.Delay, "delay", 0, "delay before every answer, e.g. 20ms")
	fl.StringVar(&keyFile, "master-key-file", "", "master key that diversifies blank cards (default: the development key)")
	fl.BoolVar(&insert, "insert", false, "insert a blank card at start")
	fl.StringVar(&serial, "serial", "", "insert a blank card with this 16-hex-digit serial at start")
	fl.StringVar(&control, "control", "", "unix socket path for the control protocol")
	return cmd
}

func insertAtStart(env *Env, e *simcard.Emulator, blank bool, serial string) error {
	switch {
	case serial != "":
		s, err := permitcard.ParseSerial(serial)
		if err != nil {
			return err
		}
		if err := e.Insert(s); err != nil {
			if err := e.InsertNew(s); err != nil {
				return err
			}
		}
		fmt.Fprintln(env.Out, "inserted card", s)
	case blank:
		s, err := e.InsertBlank()
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Out, "inserted blank card", s)
	}
	return nil
}

func newSimPSAMCmd(env *Env) *cobra.Command {
	var addr, keyFile string
	cmd := &cobra.Command{
		Use:   "psam",
		Short: "Emulate the key card (PSAM) in the second reader (vpcd, Virtual PCD 00 01)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := env.Logger()
			if err != nil {
				return err
			}
			mk, err := loadSimKey(keyFile)
			if err != nil {
				return err
			}
			unlock, err := pcsctest.LockAddr(addr)
			if err != nil {
				return err
			}
			defer unlock()
			e := psam.New(psam.Options{Addr: addr, MasterKey: mk, Logger: log})
			return runSim(cmd.Context(), func(ctx context.Context, g *errgroup.Group) {
				g.Go(func() error { return e.Run(ctx) })
			})
		},
	}
	cmd.Flags().StringVar(&addr, "addr", simcard.DefaultPSAMAddr, "vpcd address (host:port)")
	cmd.Flags().StringVar(&keyFile, "master-key-file", "", "master key the PSAM holds (default: the development key)")
	return cmd
}

func loadSimKey(path string) (*keys.MasterKey, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mk, err := keys.ParseMasterKey(b)
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return &mk, nil
}

// runSim runs the emulator goroutines until SIGINT or SIGTERM.
func runSim(ctx context.Context, start func(context.Context, *errgroup.Group)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	start(gctx, g)
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
