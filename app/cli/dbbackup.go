package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/diag"
)

// addDBBackup adds `backup` to the `db` command of root.
func addDBBackup(root *cobra.Command, env *Env) {
	for _, c := range root.Commands() {
		if c.Name() == "db" {
			c.AddCommand(newDBBackupCmd(env))
		}
	}
}

func newDBBackupCmd(env *Env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Copy the database to the backups folder with VACUUM INTO and check the copy",
		Long: "Write a consistent copy of the database, named permitdesk-TIME.db, to --dir\n" +
			"(default DATA/backups), while permitdesk may keep running, and check the copy\n" +
			"with PRAGMA quick_check.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := env.Config()
			if err != nil {
				return err
			}
			db, err := env.DB(cmd.Context())
			if err != nil {
				return err
			}
			if dir == "" {
				dir = filepath.Join(cfg.DataDir, diag.BackupDirName)
			}
			path, err := diag.Backup(cmd.Context(), db, dir, time.Now())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.Out, "database backed up to", path)
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "backup folder (default DATA/backups)")
	return cmd
}
