package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"permitdesk/app/store"
)

func newDBCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Show or apply database schema migrations"}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Print the schema version of the database and pending migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.Config()
			if err != nil {
				return err
			}
			db, err := store.Open(cfg.DataDir)
			if err != nil {
				return err
			}
			defer db.Close()
			st, err := store.ReadStatus(cmd.Context(), db)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Out).Encode(st)
			}
			fmt.Fprintf(env.Out, "database: %s/%s\nversion:  %d\nlatest:   %d\npending:  %v\n",
				cfg.DataDir, store.FileName, st.Current, st.Latest, st.Pending)
			if st.Current > st.Latest {
				fmt.Fprintln(env.Out, "warning: the database is newer than this program; it will not be changed")
			}
			return nil
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	migrate := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := env.DB(cmd.Context())
			if err != nil {
				return err
			}
			st, err := store.ReadStatus(cmd.Context(), db)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(env.Out, "database at version %d\n", st.Current)
			return err
		},
	}
	cmd.AddCommand(status, migrate)
	return cmd
}
