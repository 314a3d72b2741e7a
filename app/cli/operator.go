package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"permitdesk/app/operators"
)

// envNewPassword sets the new password for operator add and passwd when no
// terminal is attached.
const envNewPassword = "PERMITDESK_NEW_PASSWORD"

func newOperatorCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "operator",
		Short: "Manage operators: add, passwd, disable, enable, list",
		Long: "Manage the people who log in. A supervisor logs in with " + envOperator + " and\n" +
			envPassword + " (or is asked); the first operator of a new database is added\n" +
			"without logging in and must be a supervisor.",
	}
	cmd.AddCommand(newOperatorAddCmd(env), newOperatorPasswdCmd(env), newOperatorDisableCmd(env),
		newOperatorEnableCmd(env), newOperatorListCmd(env))
	return cmd
}

// operatorSession logs in unless allowEmpty and the database has no
// operator yet.
func operatorSession(ctx context.Context, env *Env, allowEmpty bool) (*issuanceEnv, error) {
	ie, err := openIssuance(ctx, env)
	if err != nil {
		return nil, err
	}
	if allowEmpty {
		db, _ := env.DB(ctx)
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM operators`).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return ie, nil
		}
	}
	return ie, ie.login(ctx, env)
}

// operatorLogin opens the issuance services and logs the operator in. With
// roles given, the operator must have one of them.
func operatorLogin(ctx context.Context, env *Env, roles ...operators.Role) (*issuanceEnv, error) {
	ie, err := openIssuance(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := ie.login(ctx, env); err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return ie, nil
	}
	if err := operators.Require(ie.sess, roles...); err != nil {
		return nil, err
	}
	return ie, nil
}

func newPassword(env *Env, login string) (string, error) {
	if p := os.Getenv(envNewPassword); p != "" {
		return p, nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", fmt.Errorf("no new password: set %s or run on a terminal", envNewPassword)
	}
	fmt.Fprintf(env.ErrOut, "new password for %s: ", login)
	a, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(env.ErrOut)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(env.ErrOut, "repeat it: ")
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(env.ErrOut)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", fmt.Errorf("the passwords for %s differ; nothing was changed", login)
	}
	return string(a), nil
}

func newOperatorAddCmd(env *Env) *cobra.Command {
	var n operators.NewOperator
	var role string
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add an operator; the password comes from " + envNewPassword + " or the terminal",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r, err := operators.ParseRole(role)
			if err != nil {
				return err
			}
			n.Role = r
			ie, err := operatorSession(ctx, env, true)
			if err != nil {
				return err
			}
			if n.Password, err = newPassword(env, n.Login); err != nil {
				return err
			}
			op, err := ie.ops.Add(ctx, ie.sess, n)
			if err != nil {
				return err
			}
			if op.Name == "" {
				fmt.Fprintf(env.Out, "added %s as %s\n", op.Login, op.Role)
			} else {
				fmt.Fprintf(env.Out, "added %s (%s) as %s\n", op.Login, op.Name, op.Role)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&n.Login, "login", "", "login name, one word (required)")
	cmd.Flags().StringVar(&n.Name, "name", "", "full name")
	cmd.Flags().StringVar(&role, "role", "clerk", "clerk, technician or supervisor")
	cmd.MarkFlagRequired("login")
	return cmd
}

func newOperatorPasswdCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "passwd LOGIN",
		Short: "Set a password and clear a lockout (own password, or anyone's as a supervisor)",
		Args:  loginArg("passwd"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := operatorSession(cmd.Context(), env, false)
			if err != nil {
				return err
			}
			pw, err := newPassword(env, args[0])
			if err != nil {
				return err
			}
			if err := ie.ops.SetPassword(cmd.Context(), ie.sess, args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "password of %s set\n", args[0])
			return nil
		},
	}
}

func newOperatorDisableCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "disable LOGIN",
		Short: "Stop an operator from logging in and end their sessions",
		Args:  loginArg("disable"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := operatorSession(cmd.Context(), env, false)
			if err != nil {
				return err
			}
			if err := ie.ops.Disable(cmd.Context(), ie.sess, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "%s disabled\n", args[0])
			return nil
		},
	}
}

func newOperatorEnableCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "enable LOGIN",
		Short: "Let a disabled operator log in again (supervisor only)",
		Args:  loginArg("enable"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := operatorSession(cmd.Context(), env, false)
			if err != nil {
				return err
			}
			if err := ie.ops.Enable(cmd.Context(), ie.sess, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "%s enabled\n", args[0])
			return nil
		},
	}
}

// loginArg accepts exactly one LOGIN argument and names it when missing.
func loginArg(sub string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) == 1 {
			return nil
		}
		if len(args) == 0 {
			return fmt.Errorf("operator %s needs a login: permitdesk operator %s LOGIN", sub, sub)
		}
		return fmt.Errorf("operator %s takes one login, got %d arguments: %q", sub, len(args), args)
	}
}

func newOperatorListCmd(env *Env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List operators with role and lock state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ie, err := operatorSession(cmd.Context(), env, false)
			if err != nil {
				return err
			}
			ops, err := ie.ops.List(cmd.Context(), ie.sess)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(env.Out).Encode(ops)
			}
			tw := tabwriter.NewWriter(env.Out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LOGIN\tNAME\tROLE\tSTATE")
			for _, op := range ops {
				state := "active"
				switch {
				case op.Disabled:
					state = "disabled"
				case !op.LockedUntil.IsZero():
					state = "locked until " + op.LockedUntil.Local().Format("15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", op.Login, op.Name, op.Role, state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
