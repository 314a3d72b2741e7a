package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"permitdesk/app/config"
	"permitdesk/devices"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idreader"
	"permitdesk/devices/registry"
	"permitdesk/devices/serialport"
)

func newDevicesCmd(env *Env) *cobra.Command {
	var asJSON, watch, found bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List the configured devices with their state",
		Long: "Find every device configured in [devices] and print its identity, state\n" +
			"(absent, connecting, ready, busy or error, with the reason) and capabilities.\n" +
			"PC/SC readers are found by name, serial devices by port path or USB serial\n" +
			"number, HID devices by vendor id, product id and serial number. The ID card\n" +
			"reader is also asked for its SAM status. With --watch, changes are printed as\n" +
			"devices come and go until Ctrl-C.\n\n" +
			"With --found, list instead every PC/SC reader, serial port and HID device the\n" +
			"machine has now, configured or not: the devices the Settings screen offers.\n" +
			"Serial ports include the links to pseudo-terminals in the directories of the\n" +
			"configured ports, where the emulators make them.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if found {
				if watch {
					return errors.New("--found and --watch cannot be combined: --found lists the devices once")
				}
				return runDevicesFound(cmd.Context(), env, asJSON)
			}
			return runDevices(cmd.Context(), env, asJSON, watch)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false,
		"print JSON: an array of statuses, with --watch one event per line, with --found one object of lists")
	cmd.Flags().BoolVar(&watch, "watch", false, "keep scanning and print each change")
	cmd.Flags().BoolVar(&found, "found", false, "list every device attached now instead of the configured ones")
	return cmd
}

func runDevicesFound(ctx context.Context, env *Env, asJSON bool) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	file, err := env.FileDevices()
	if err != nil {
		return err
	}
	pcsc := &registry.SCard{}
	defer pcsc.Close()
	found := registry.Discover(ctx, DiscoverOptions(pcsc, file, cfg.Devices))
	if asJSON {
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(found)
	}
	return printFound(env.Out, found)
}

// DiscoverOptions returns the options that make registry.Discover list the
// machine's devices through pcsc. The serial port links are searched in the
// directories of the ports that each of devs names.
func DiscoverOptions(pcsc registry.ReaderLister, devs ...config.Devices) registry.DiscoverOptions {
	var paths []string
	for _, d := range devs {
		paths = append(paths, d.Printer.Port, d.Rewriter.Port, d.IDReader.Port)
	}
	return registry.DiscoverOptions{PCSC: pcsc, LinkDirs: registry.LinkDirs(paths...)}
}

func printFound(out io.Writer, f registry.Found) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	section := func(title, listErr string, n int) {
		fmt.Fprintf(tw, "%s (%d)\n", title, n)
		if listErr != "" {
			fmt.Fprintf(tw, "  not listed: %s\n", listErr)
		}
	}

	section("PC/SC READERS", f.ReadersError, len(f.Readers))
	for _, r := range f.Readers {
		fmt.Fprintf(tw, "  %s\n", r)
	}
	fmt.Fprintln(tw)

	section("SERIAL PORTS", f.SerialError, len(f.SerialPorts))
	if len(f.SerialPorts) > 0 {
		fmt.Fprintln(tw, "  PATH\tDEVICE\tUSB ID\tSERIAL NUMBER\tPRODUCT")
	}
	for _, p := range f.SerialPorts {
		usbID := ""
		if p.USB {
			usbID = p.VendorID + ":" + p.ProductID
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.Path, p.Device, usbID, p.SerialNumber, p.Product)
	}
	fmt.Fprintln(tw)

	section("HID DEVICES", f.HIDError, len(f.HID))
	if len(f.HID) > 0 {
		fmt.Fprintln(tw, "  USB ID\tSERIAL NUMBER\tMANUFACTURER\tPRODUCT\tPATH")
	}
	for _, d := range f.HID {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", d.ID(), d.Serial, d.Manufacturer, d.Product, d.Path)
	}
	return tw.Flush()
}

func runDevices(ctx context.Context, env *Env, asJSON, watch bool) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	log, err := env.Logger()
	if err != nil {
		return err
	}
	specs, err := DeviceSpecs(cfg.Devices)
	if err != nil {
		return err
	}
	pcsc := &registry.SCard{}
	defer pcsc.Close()
	reg, err := registry.New(registry.Options{Devices: specs, PCSC: pcsc, Logger: quiet(log, watch)})
	if err != nil {
		return err
	}
	reg.Scan(ctx)
	if !watch {
		return printStatuses(env.Out, reg.Snapshot(), asJSON)
	}
	return watchDevices(ctx, env.Out, reg, asJSON)
}

// quiet keeps a one-shot listing free of state-change log lines: the
// listing shows the states already.
func quiet(log *slog.Logger, watch bool) *slog.Logger {
	if watch {
		return log
	}
	return slog.New(slog.DiscardHandler)
}

func watchDevices(ctx context.Context, out io.Writer, reg *registry.Registry, asJSON bool) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sub := reg.Subscribe()
	defer sub.Close()
	if err := printStatuses(out, sub.Snapshot, asJSON); err != nil {
		return err
	}
	go reg.Run(ctx)
	for {
		ev, err := sub.Next(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
		if asJSON {
			if err := json.NewEncoder(out).Encode(ev); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(out, "%s %s %s: %s -> %s %s\n", ev.Time.Format("15:04:05"), ev.Type, ev.Device,
			ev.From, ev.Status.State, describe(ev.Status))
	}
}

func describe(st registry.Status) string {
	s := st.Path
	if st.Reason != "" {
		s = strings.TrimSpace(s + " (" + st.Reason + ")")
	}
	return s
}

func printStatuses(out io.Writer, list []registry.Status, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "no devices configured: see `permitdesk config example` for the [devices] sections")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSTATE\tIDENTITY\tPATH\tREASON")
	for _, st := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, st.Kind, st.State, st.Identity, st.Path, st.Reason)
	}
	return tw.Flush()
}

// DeviceSpecs maps the [devices] configuration to registry specs. Devices
// left empty in the configuration are not listed.
func DeviceSpecs(c config.Devices) ([]registry.Spec, error) {
	var specs []registry.Spec
	for _, r := range []struct {
		name string
		kind devices.Kind
		cfg  config.Reader
	}{{"encoder", devices.KindEncoder, c.Encoder}, {"psam", devices.KindPSAM, c.PSAM},
		{"desk_reader", devices.KindEncoder, c.DeskReader}} {
		if r.cfg.Name != "" {
			specs = append(specs, registry.Spec{Name: r.name, Kind: r.kind, Transport: registry.TransportPCSC,
				ReaderName: r.cfg.Name})
		}
	}
	for _, s := range []struct {
		name string
		kind devices.Kind
		cfg  config.SerialDevice
	}{{"printer", devices.KindPrinter, c.Printer}, {"rewriter", devices.KindRewriter, c.Rewriter}} {
		if s.cfg.Port != "" || s.cfg.USBSerial != "" {
			specs = append(specs, serialSpec(s.name, s.kind, s.cfg))
		}
	}
	idr, err := idReaderSpec(c.IDReader)
	if err != nil {
		return nil, err
	}
	if idr != nil {
		specs = append(specs, *idr)
	}
	if c.Scanner.VendorID != "" {
		f, err := hidFilter(c.Scanner, "devices.scanner")
		if err != nil {
			return nil, err
		}
		specs = append(specs, registry.Spec{Name: "scanner", Kind: devices.KindScanner,
			Transport: registry.TransportHID, HID: f})
	}
	return specs, nil
}

func serialSpec(name string, kind devices.Kind, c config.SerialDevice) registry.Spec {
	return registry.Spec{Name: name, Kind: kind, Transport: registry.TransportSerial,
		SerialPath: c.Port, SerialUSB: c.USBSerial}
}

// idReaderSpec adds the SAM self-check (11 FF) to the generic probe, so a
// port that opens but has no reader behind it is reported as an error.
func idReaderSpec(c config.IDReader) (*registry.Spec, error) {
	opts := idreader.Options{Name: "idreader", Timeout: c.Timeout.Duration}
	if c.Transport == "hid" {
		if c.HID.VendorID == "" {
			return nil, nil
		}
		f, err := hidFilter(c.HID, "devices.idreader.hid")
		if err != nil {
			return nil, err
		}
		return &registry.Spec{Name: "idreader", Kind: devices.KindIDReader, Transport: registry.TransportHID,
			HID: f, Probe: func(ctx context.Context, loc registry.Location) error {
				dev, err := hidio.USB{}.Open(*loc.HID)
				if err != nil {
					return err
				}
				r := idreader.New(idreader.NewHIDTransport(dev), opts)
				defer r.Close()
				return r.Status(ctx)
			}}, nil
	}
	if c.Port == "" && c.USBSerial == "" {
		return nil, nil
	}
	s := serialSpec("idreader", devices.KindIDReader, c.SerialDevice)
	s.Probe = func(ctx context.Context, loc registry.Location) error {
		r, err := idreader.OpenSerial(serialport.Options{Path: loc.Path, Baud: c.Baud, FlowControl: c.FlowControl}, opts)
		if err != nil {
			return err
		}
		defer r.Close()
		return r.Status(ctx)
	}
	return &s, nil
}
