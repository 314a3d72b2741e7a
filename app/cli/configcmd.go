package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"permitdesk/app/config"
)

func newConfigCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Print an example configuration or check a file"}
	cmd.AddCommand(&cobra.Command{
		Use:   "example",
		Short: "Print a commented configuration with every default",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return config.WriteExample(env.Out) },
	}, &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration file and name each invalid field",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return checkConfig(env) },
	})
	return cmd
}

func checkConfig(env *Env) error {
	path := env.ConfigPath
	if path == "" {
		path = config.DefaultPath()
	}
	b, err := readConfigFile(path)
	if errors.Is(err, os.ErrNotExist) && env.ConfigPath == "" {
		_, err = fmt.Fprintf(env.Out, "no configuration file at %s: the station runs on the defaults, which are valid.\n"+
			"To write one: mkdir -p %s && permitdesk config example > %s\n", path, filepath.Dir(path), path)
		return err
	}
	if errors.Is(err, os.ErrNotExist) {
		return &ExitError{Code: 1, Message: fmt.Sprintf("config check: %v: write one with `permitdesk config example > %s`",
			err, path)}
	}
	if err != nil {
		return &ExitError{Code: 1, Message: fmt.Sprintf("config check: %v", err)}
	}
	if _, err := config.Parse(path, b); err != nil {
		var ce *config.Errors
		if errors.As(err, &ce) {
			return &ExitError{Code: 1, Message: ce.Error()}
		}
		return &ExitError{Code: 1, Message: err.Error()}
	}
	_, err = fmt.Fprintf(env.Out, "%s: valid\n", path)
	return err
}

// readConfigFile reads a path that may be a pipe such as /dev/stdin.
func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
