package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/cardface"
	"permitdesk/app/config"
	"permitdesk/devices/evolis"
	"permitdesk/devices/serialport"
)

func newPrinterCmd(env *Env) *cobra.Command {
	var port string
	cmd := &cobra.Command{Use: "printer", Short: "Card printer diagnostics"}
	cmd.PersistentFlags().StringVar(&port, "port", "", "serial port path (default devices.printer.port)")
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Print the printer's model, serial, firmware, card position, sensors and counters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := openPrinter(cmd.Context(), env, port)
			if err != nil {
				return err
			}
			defer p.Close()
			st, err := p.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Out).Encode(st)
			}
			fmt.Fprintf(env.Out, "model     %s\nserial    %s\nfirmware  %s\nposition  %s\ncover     %s\nfeeder    %s\n"+
				"cleaning  %s\nribbon    %d panels left\ninserted  %d cards\nprinted   %d panels\n",
				st.Model, st.Serial, st.Firmware, st.Position, openClosed(st.CoverOpen), emptyLoaded(st.FeederEmpty),
				dueOK(st.NeedsCleaning), st.RibbonPanels, st.Counters.Inserted, st.Counters.Panels)
			return nil
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	var set string
	testCard := &cobra.Command{
		Use:   "test-card",
		Short: "Render a sample permit and print it on both sides",
		Long: "Render the built-in sample permit with the chosen template set, feed a card,\n" +
			"print both faces and eject it. With the emulator, the printed sides appear as\n" +
			"PNG files in its --out directory.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return printTestCard(cmd.Context(), env, port, set) },
	}
	testCard.Flags().StringVar(&set, "set", "full", "template set: full (labels and data) or production (data only)")
	cmd.AddCommand(status, testCard)
	return cmd
}

func openClosed(open bool) string {
	if open {
		return "open"
	}
	return "closed"
}

func dueOK(due bool) string {
	if due {
		return "due"
	}
	return "not due"
}

func emptyLoaded(empty bool) string {
	if empty {
		return "empty"
	}
	return "loaded"
}

// printerOptions maps the configuration's printer section to driver options.
func printerOptions(env *Env, port string) (evolis.Options, error) {
	cfg, err := env.Config()
	if err != nil {
		return evolis.Options{}, err
	}
	log, err := env.Logger()
	if err != nil {
		return evolis.Options{}, err
	}
	return evolis.Options{
		Port:    serialOptions(cfg.Devices.Printer, port),
		Timeout: cfg.Devices.Printer.Timeout.Duration,
		AckNack: cfg.Devices.Printer.AckNack,
		Logger:  log,
	}, nil
}

// SerialOptions returns the port options of a configured serial device.
func SerialOptions(d config.SerialDevice) serialport.Options { return serialOptions(d, "") }

func serialOptions(d config.SerialDevice, port string) serialport.Options {
	o := serialport.Options{Path: d.Port, USBSerial: d.USBSerial, Baud: d.Baud, FlowControl: d.FlowControl}
	if port != "" {
		o.Path = port
	}
	return o
}

func openPrinter(ctx context.Context, env *Env, port string) (*evolis.Printer, error) {
	opts, err := printerOptions(env, port)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return evolis.Open(ctx, opts)
}

func printTestCard(ctx context.Context, env *Env, port, set string) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	r, err := cardface.New(cardface.Options{FontFile: cfg.Printing.FontFile, TemplateDir: cfg.Printing.TemplateDir, Set: set})
	if err != nil {
		return err
	}
	front, back, err := r.Faces(cardface.SamplePermit())
	if err != nil {
		return err
	}

	p, err := openPrinter(ctx, env, port)
	if err != nil {
		return err
	}
	defer p.Close()

	job, err := p.FeedToContactless(ctx)
	if err != nil {
		return err
	}
	if err := p.PrintFaces(ctx, job, front, back); err != nil {
		if job.State == evolis.JobNotPrinted {
			if rerr := p.EjectToReject(ctx, job); rerr != nil {
				return fmt.Errorf("%w (and the card could not be rejected: %v)", err, rerr)
			}
		}
		return err
	}

	if err := p.Eject(ctx, job); err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "test card printed and ejected (%d panels, %d spoiled cards)\n", job.Panels, job.Spoiled)
	return nil
}
