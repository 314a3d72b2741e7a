package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/logging"
	"permitdesk/central/api"
	"permitdesk/central/pki"
	"permitdesk/central/seed"
	"permitdesk/central/server"
	"permitdesk/central/store"
)

// defaultCentralDir returns the directory where the reference central
// system keeps its database and, under pki/, its certificates.
func defaultCentralDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "permitdesk-central"
	}
	return filepath.Join(home, ".local", "share", "permitdesk-central")
}

func newCentralCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "central",
		Short: "Run the reference central permit system for development and tests",
		Long: "The reference central permit system serves the sync API (docs/central-api.yaml) over\n" +
			"HTTPS with client certificates, from its own SQLite database seeded with demonstration\n" +
			"applications. It is not the city's central system.",
	}
	cmd.AddCommand(newCentralPKICmd(env), newCentralServeCmd(env), newCentralAdminCmd(env))
	return cmd
}

func newCentralPKICmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "pki", Short: "Create the development CA and certificates"}
	var o pki.InitOptions
	var sealOnly bool
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create a CA, server, admin and station certificates, and the issuance-seal key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sealOnly {
				return newSealKey(env, o.Dir)
			}
			if _, err := pki.Init(o); err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "CA, certificates and seal key written to %s\n", o.Dir)
			printSealKey(env, o.Dir)
			for _, st := range o.Stations {
				cert, key := pki.StationFiles(o.Dir, st)
				fmt.Fprintf(env.Out, "station %s:\n  ca_file = %q\n  cert_file = %q\n  key_file = %q\n",
					st, filepath.Join(o.Dir, pki.CAFile), cert, key)
			}
			return nil
		},
	}
	initCmd.Flags().StringVar(&o.Dir, "dir", filepath.Join(defaultCentralDir(), "pki"), "directory for the PEM files")
	initCmd.Flags().StringSliceVar(&o.Stations, "stations", []string{"DEV-0001", "DEV-0002"}, "station ids to issue client certificates for")
	initCmd.Flags().StringSliceVar(&o.Hosts, "hosts", []string{"127.0.0.1", "::1", "localhost"}, "server certificate host names and IP addresses")
	initCmd.Flags().DurationVar(&o.Validity, "validity", 825*24*time.Hour, "validity of the issued certificates")
	initCmd.Flags().BoolVar(&o.Force, "force", false, "replace an existing CA and every certificate")
	initCmd.Flags().BoolVar(&sealOnly, "seal-key", false,
		"only replace the issuance-seal key pair; `central serve` seals the approved applications again")
	cmd.AddCommand(initCmd)
	return cmd
}

func newSealKey(env *Env, dir string) error {
	if _, err := pki.CreateSealKey(dir); err != nil {
		return err
	}
	printSealKey(env, dir)
	return nil
}

// printSealKey prints the seal key ID and the public key file that stations
// may pin with central.seal_key_file.
func printSealKey(env *Env, dir string) {
	pub, err := pki.LoadSealPublicKey(dir)
	if err != nil {
		fmt.Fprintf(env.ErrOut, "%v\n", err)
		return
	}
	fmt.Fprintf(env.Out, "seal key %s:\n  seal_key_file = %q\n", api.SealKeyID(pub),
		filepath.Join(dir, pki.SealPubFile))
}

type serveFlags struct {
	data, pkiDir, addr, seedDir, logLevel string
	faults                                server.Faults
}

func newCentralServeCmd(env *Env) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the sync API over HTTPS until interrupted",
		Long: "Serve the sync API over HTTPS with client certificates. An empty database is seeded\n" +
			"from --seed, or from the built-in generator when that directory does not exist.\n" +
			"The fault flags inject failures; `central admin faults` changes them while serving.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return serveCentral(cmd.Context(), env, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", defaultCentralDir(), "directory of the central database")
	fl.StringVar(&f.pkiDir, "pki", "", "directory made by `central pki init` (default DATA/pki)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8443", "address to listen on")
	fl.StringVar(&f.seedDir, "seed", "testdata/applications", "seed directory used when the database is empty")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	addFaultFlags(fl, &f.faults)
	return cmd
}

type flagSet interface {
	IntVar(p *int, name string, value int, usage string)
	Float64Var(p *float64, name string, value float64, usage string)
}

func addFaultFlags(fl flagSet, f *server.Faults) {
	fl.IntVar(&f.LatencyMs, "latency-ms", 0, "delay added to every request, in milliseconds")
	fl.IntVar(&f.JitterMs, "jitter-ms", 0, "random extra delay up to this many milliseconds")
	fl.Float64Var(&f.ErrorRate, "error-rate", 0, "share of requests that get a 503 response (0 to 1)")
	fl.Float64Var(&f.DropRate, "drop-rate", 0, "share of requests whose connection is closed after the commit")
	fl.Float64Var(&f.PartialRate, "partial-rate", 0, "share of pushed records answered retry")
	fl.Float64Var(&f.MalformedRate, "malformed-rate", 0, "share of replies replaced by broken JSON")
	fl.Float64Var(&f.OversizeRate, "oversize-rate", 0, "share of replies padded past the client limit")
	fl.IntVar(&f.OversizeBytes, "oversize-bytes", 0, "padding of an oversized reply in bytes (default 40 MiB)")
	fl.IntVar(&f.CutAfterBatches, "cut-after-batches", 0, "cut the connection of every record batch after this many succeeded")
}

func serveCentral(ctx context.Context, env *Env, f serveFlags) error {
	log, closeLog, err := logging.New(logging.Options{Level: f.logLevel, Stderr: env.ErrOut})
	if err != nil {
		return err
	}
	defer closeLog()
	if f.pkiDir == "" {
		f.pkiDir = filepath.Join(f.data, "pki")
	}
	st, err := openSealedStore(ctx, f, log)
	if err != nil {
		return err
	}
	defer st.Close()

	srv, err := server.New(server.Options{Store: st, Log: log, Faults: f.faults})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.ListenAndServe(ctx, f.addr, f.pkiDir, func(a net.Addr) {
		fmt.Fprintf(env.Out, "central listening on https://%s (database %s, certificates %s)\n",
			a, filepath.Join(f.data, store.FileName), f.pkiDir)
	})
}

// openSealedStore loads (or creates) the seal key, opens the central
// database with it, seeds an empty one, and seals the approved applications
// whose seal is missing or made by another key.
func openSealedStore(ctx context.Context, f serveFlags, log *slog.Logger) (*store.Store, error) {
	key, created, err := pki.LoadOrCreateSealKey(f.pkiDir)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("seal key created", "key_id", key.ID, "dir", f.pkiDir)
	}
	st, err := store.Open(ctx, store.Options{Dir: f.data, SealKey: key})
	if err != nil {
		return nil, err
	}
	if err := seedIfEmpty(ctx, st, f.seedDir, log); err != nil {
		st.Close()
		return nil, err
	}
	n, err := st.SealMissing(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("applications sealed", "count", n, "key_id", key.ID)
	}
	return st, nil
}

func seedIfEmpty(ctx context.Context, st *store.Store, dir string, log *slog.Logger) error {
	empty, err := st.Empty(ctx)
	if err != nil || !empty {
		return err
	}
	ds, err := seed.Load(dir)
	source := dir
	if os.IsNotExist(statErr(dir)) {
		ds, err = seed.Generate(seed.Options{})
		source = "the built-in generator"
	}
	if err != nil {
		return err
	}
	if err := st.Seed(ctx, ds); err != nil {
		return err
	}
	log.Info("central database seeded", "source", source, "applications", len(ds.Applications),
		"house_codes", len(ds.HouseCodes))
	return nil
}

func statErr(path string) error {
	_, err := os.Stat(path)
	return err
}

func newCentralAdminCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Approve, revoke and list applications, and set injected faults",
		Long: "approve, revoke and list work on the central database directly, also while it is\n" +
			"being served; faults talks to a running server with the admin certificate.",
	}
	var data, pkiDir string
	cmd.PersistentFlags().StringVar(&data, "data", defaultCentralDir(), "directory of the central database")
	cmd.PersistentFlags().StringVar(&pkiDir, "pki", "",
		"directory made by `central pki init`, for the seal key and the admin certificate (default DATA/pki)")
	open := func(cmd *cobra.Command) (*store.Store, error) {
		o := store.Options{Dir: data}
		if cmd.Name() == "approve" {
			dir := pkiDir
			if dir == "" {
				dir = filepath.Join(data, "pki")
			}
			key, err := pki.LoadSealKey(dir)
			if err != nil {
				return nil, err
			}
			o.SealKey = key
		}
		return store.Open(cmd.Context(), o)
	}
	cmd.AddCommand(newAdminListCmd(env, open), newAdminApproveCmd(env, open), newAdminRevokeCmd(env, open),
		newAdminFaultsCmd(env, &data, &pkiDir))
	return cmd
}

type storeOpener func(*cobra.Command) (*store.Store, error)

func newAdminListCmd(env *Env, open storeOpener) *cobra.Command {
	var f store.ListFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List applications, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			list, err := st.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Out).Encode(list)
			}
			w := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATION\tSTATUS\tSEQ\tNAME\tID NUMBER\tPERMIT")
			for _, s := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.ID, s.StationID, s.Status, s.Seq, s.Name,
					logging.MaskID(s.IDNumber), s.PermitNumber)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&f.Status, "status", "", "only this status: pending, approved, issued, cancelled or revoked")
	cmd.Flags().StringVar(&f.Station, "station", "", "only this station")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "maximum lines")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAdminApproveCmd(env *Env, open storeOpener) *cobra.Command {
	return &cobra.Command{
		Use:   "approve APPLICATION-ID...",
		Short: "Approve pending applications; stations pull them on their next sync",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, id := range args {
				a, err := st.Approve(cmd.Context(), id)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Out, "approved %s for station %s: permit %s, valid %s to %s, sequence %d, "+
					"sealed with key %s\n", a.Id, a.StationId, a.PermitNumber, a.ValidFrom.Format(time.DateOnly),
					a.ValidTo.Format(time.DateOnly), a.Seq, sealKeyID(a.Seal))
			}
			return nil
		},
	}
}

func sealKeyID(s *api.Seal) string {
	if s == nil {
		return "none"
	}
	return s.KeyId
}

func newAdminRevokeCmd(env *Env, open storeOpener) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "revoke APPLICATION-ID|PERMIT-NUMBER",
		Short: "Revoke an issued permit, or cancel an approval not yet issued",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := st.Revoke(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "%s application %s (permit %s), sequence %d\n", r.Kind, r.ApplicationId, r.PermitNumber, r.Seq)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, shown to stations (required)")
	return cmd
}

func newAdminFaultsCmd(env *Env, data, pkiDir *string) *cobra.Command {
	var f server.Faults
	var url string
	var show bool
	cmd := &cobra.Command{
		Use:   "faults",
		Short: "Set the faults a running server injects (all zero flags clear them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := *pkiDir
			if dir == "" {
				dir = filepath.Join(*data, "pki")
			}
			client, err := adminClient(dir)
			if err != nil {
				return err
			}
			method, body := http.MethodPut, []byte{}
			if show {
				method = http.MethodGet
			} else if body, err = json.Marshal(f); err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(cmd.Context(), method, strings.TrimRight(url, "/")+"/admin/faults", bytes.NewReader(body))
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("reach the central server at %s: %w", url, err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("central server rejected the fault setting: HTTP %d: %s", resp.StatusCode, out)
			}
			_, err = env.Out.Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&url, "url", "https://127.0.0.1:8443", "base URL of the running server")
	cmd.Flags().BoolVar(&show, "show", false, "print the faults in force instead of setting them")
	addFaultFlags(cmd.Flags(), &f)
	return cmd
}

func adminClient(pkiDir string) (*http.Client, error) {
	cert, key := pki.AdminFiles(pkiDir)
	cfg, err := pki.ClientTLS(filepath.Join(pkiDir, pki.CAFile), cert, key)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 15 * time.Second}, nil
}
