package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	idreadersim "permitdesk/devices/sim/idreader"
)

func init() {
	simCommands = append(simCommands, newSimIDReaderCmd)
}

type simIDReaderFlags struct {
	link, identities, control, fault string
	card                             int
	keepCard                         bool
}

func newSimIDReaderCmd(env *Env) *cobra.Command {
	var f simIDReaderFlags
	cmd := &cobra.Command{
		Use:   "idreader",
		Short: "Emulate the ID card reader (GA 467 SAM) on a pseudo-terminal",
		Long: "Emulate a GA 467 ID card reader on a pseudo-terminal linked at --link, with the\n" +
			"identities in --identities as cards. Control it with lines on standard input or on\n" +
			"the --control unix socket:\n  " + idreadersim.ControlHelp + "\n" +
			"After a read the card must be placed again before the next find succeeds, as on\n" +
			"a real reader, unless --keep-card is given.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSimIDReader(cmd.Context(), env, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.link, "link", "", "path of the symbolic link to the emulated port (required)")
	fl.StringVar(&f.identities, "identities", "testdata/idcards/identities.json",
		"JSON array of identities, one card each")
	fl.IntVar(&f.card, "card", -1, "place this card (0-based) at start; -1 starts with the field empty")
	fl.StringVar(&f.fault, "fault", "none", "fault on every response until changed: none or one of checksum, "+
		"length, truncate, silent, remove-after-select, bad-id-number")
	fl.StringVar(&f.control, "control", "", "unix socket for control commands at run time")
	fl.BoolVar(&f.keepCard, "keep-card", false, "let the same card be found again after a read without placing it again")
	cmd.MarkFlagRequired("link")
	return cmd
}

func runSimIDReader(ctx context.Context, env *Env, f simIDReaderFlags) error {
	log, err := env.Logger()
	if err != nil {
		return err
	}
	ids, err := idreadersim.LoadIdentities(f.identities)
	if err != nil {
		return fmt.Errorf("%w: run from the repository root or pass --identities", err)
	}
	fault, err := idreadersim.ParseFault(f.fault)
	if err != nil {
		return err
	}
	emu := idreadersim.NewEmulator(ids, log.With("device", "idreader-sim"))
	emu.RequireRemoval = !f.keepCard
	if fault != idreadersim.FaultNone {
		emu.SetFault(fault, 0)
	}
	if f.card >= 0 {
		if err := emu.Place(f.card); err != nil {
			return fmt.Errorf("--card: %w", err)
		}
	}
	srv, err := idreadersim.NewSerial(emu, f.link, log)
	if err != nil {
		return err
	}
	go emu.ServeLines(os.Stdin, env.Out)
	return serveSim(ctx, env, "ID card reader", srv.Path()+" (link "+f.link+")", f.control, srv.Run, emu.ServeControl)
}
