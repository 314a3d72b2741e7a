// Package cli contains permitdesk's commands. Each file adds one command
// group. The commands parse flags, build the services they need from the
// configuration, and print results as text or, with --json, as JSON.
package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/app/overrides"
	"permitdesk/app/store"
)

// Build information, set by the linker (see the Makefile).
var (
	Version = "dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// OpenDesktop opens the desktop window and returns the exit code; main sets
// it, because the window's assets are embedded there. The root command calls
// it when no subcommand is given, so `permitdesk --config FILE` opens the
// window on that configuration.
var OpenDesktop func() int

// desktopConfigEnv passes --config to the desktop app, which reads it from
// the environment.
const desktopConfigEnv = "PERMITDESK_CONFIG"

// Env is the state every command shares: the parsed flags and, once loaded, the
// configuration, the logger and the database.
type Env struct {
	ConfigPath string
	LogLevel   string
	Out        io.Writer
	ErrOut     io.Writer

	cfg         *config.Config
	fileDevices *config.Devices // nil when cfg was set directly
	log         *slog.Logger
	logClose    func() error
	db          *sql.DB
}

// Config loads and validates the configuration once, and lays the device
// overrides stored in the station database over its [devices] table (see
// package overrides), so commands use the devices the window uses.
func (e *Env) Config() (config.Config, error) {
	if e.cfg != nil {
		return *e.cfg, nil
	}
	path, explicit := e.ConfigPath, e.ConfigPath != ""
	if !explicit {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return config.Config{}, err
	}
	if e.LogLevel != "" {
		cfg.LogLevel = e.LogLevel
	}
	file := cfg.Devices
	e.fileDevices = &file
	// The logger needs the configuration, so a problem with the overrides
	// goes to stderr. The overrides that could be read still apply.
	list, err := overrides.ReadDataDir(context.Background(), cfg.DataDir)
	if err != nil && e.ErrOut != nil {
		fmt.Fprintf(e.ErrOut, "permitdesk: warning: %v; the affected devices come from the configuration file\n", err)
	}
	cfg.Devices = overrides.Apply(cfg.Devices, list)
	e.cfg = &cfg
	return cfg, nil
}

// FileDevices returns the [devices] table as the configuration file sets
// it, before the overrides.
func (e *Env) FileDevices() (config.Devices, error) {
	cfg, err := e.Config()
	if err != nil {
		return config.Devices{}, err
	}
	if e.fileDevices == nil {
		return cfg.Devices, nil
	}
	return *e.fileDevices, nil
}

// Logger returns the command's logger: text on stderr and JSON lines in the
// data directory's log folder.
func (e *Env) Logger() (*slog.Logger, error) {
	if e.log != nil {
		return e.log, nil
	}
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	log, closeFn, err := logging.New(logging.Options{
		Dir: filepath.Join(cfg.DataDir, "logs"), Level: cfg.LogLevel, Stderr: e.ErrOut})
	if err != nil {
		return nil, err
	}
	e.log, e.logClose = log.With("station", cfg.StationID), closeFn
	return e.log, nil
}

// DB opens the migrated database once.
func (e *Env) DB(ctx context.Context) (*sql.DB, error) {
	if e.db != nil {
		return e.db, nil
	}
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	log, err := e.Logger()
	if err != nil {
		return nil, err
	}
	db, err := store.OpenMigrated(ctx, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	e.db = db
	return db, nil
}

// Close releases what the command opened.
func (e *Env) Close() {
	if e.db != nil {
		e.db.Close()
	}
	if e.logClose != nil {
		e.logClose()
	}
}

// NewRoot builds the command tree.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "permitdesk",
		Short: "Residence-permit card issuing workstation",
		Long: "permitdesk issues residence-permit cards: it reads ID cards, prints and encodes\n" +
			"permit cards, rewrites addresses, and syncs with the central permit system.\n" +
			"With no command it opens the desktop window.\n\n" +
			"First steps on a new station:\n" +
			"  permitdesk config example > FILE     write a configuration, then edit it\n" +
			"  permitdesk config check              check it: every bad field with the fix\n" +
			"  permitdesk operator add --login NAME --role supervisor\n" +
			"                                       add the first supervisor\n" +
			"  permitdesk devices                   see that each device answers\n" +
			"  permitdesk sync                      pull the approved applications\n" +
			"To train without hardware, start the emulated station with\n" +
			"permitdesk sim stack --dir DIR; it prints the configuration to use.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if OpenDesktop == nil {
				return cmd.Help()
			}
			if env.ConfigPath != "" {
				os.Setenv(desktopConfigEnv, env.ConfigPath)
			}
			if code := OpenDesktop(); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&env.ConfigPath, "config", "",
		"configuration file (default "+config.DefaultPath()+")")
	root.PersistentFlags().StringVar(&env.LogLevel, "log-level", "", "override log_level: debug, info, warn or error")
	root.SetOut(env.Out)
	root.SetErr(env.ErrOut)
	root.AddCommand(
		newVersionCmd(env),
		newConfigCmd(env),
		newDBCmd(env),
	)
	root.AddCommand(newSimCmd(env))
	root.AddCommand(newDemoCmd(env))
	root.AddCommand(newPrinterCmd(env))
	root.AddCommand(newRewriterCmd(env))
	root.AddCommand(newDevicesCmd(env))
	root.AddCommand(newIDCardCmd(env))
	root.AddCommand(newCardCmd(env))
	root.AddCommand(newCentralCmd(env))
	root.AddCommand(newSyncCmd(env))
	root.AddCommand(newIssueCmd(env))
	root.AddCommand(newQueueCmd(env))
	root.AddCommand(newOperatorCmd(env))
	root.AddCommand(newAuditCmd(env))
	root.AddCommand(newStockCmd(env))
	root.AddCommand(newDiagCmd(env))
	root.AddCommand(newRewriteCmd(env))
	addDBBackup(root, env)
	rejectUnknownSubcommands(root)
	return root
}

// rejectUnknownSubcommands makes every command group fail on a mistyped
// subcommand. Cobra otherwise prints the group's help and exits 0, so a
// script would take "permitdesk stock receve" for a success.
func rejectUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		rejectUnknownSubcommands(c)
	}
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
}

// Execute runs the command line and returns the process exit code.
func Execute(args []string) int {
	env := &Env{Out: os.Stdout, ErrOut: os.Stderr}
	defer env.Close()
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Message != "" {
			fmt.Fprintln(env.ErrOut, exit.Message)
		}
		return exit.Code
	}
	fmt.Fprintln(env.ErrOut, "permitdesk:", err)
	return 1
}

// ExitError ends a command with a chosen exit code after printing Message.
type ExitError struct {
	Code    int
	Message string
}

func (e *ExitError) Error() string { return e.Message }
