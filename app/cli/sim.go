package cli

import "github.com/spf13/cobra"

// simCommands build the `sim` subcommands. Each emulator's file appends its
// constructors in an init function, so adding an emulator touches no other
// file.
var simCommands []func(*Env) *cobra.Command

func newSimCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run device emulators for development and tests",
	}
	for _, build := range simCommands {
		cmd.AddCommand(build(env))
	}
	return cmd
}
