package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
)

const userUsage = `Manage accounts from the command line (actions are written to the audit log).

  forum user list [--role ROLE]
  forum user approve WHO            approve an account awaiting approval
  forum user role WHO ROLE [--credential "LINE"]
                                    ROLE: pending, member, expert, moderator, admin
                                    experts need a credential line
  forum user suspend WHO            suspend and sign out everywhere
  forum user unsuspend WHO

WHO is an e-mail address, a pseudonym, or #ID.`

func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("user", userUsage, stderr)
	flags := config.Register(fs, false)
	role := fs.String("role", "", "list: only accounts with this role")
	credential := fs.String("credential", "", "role: the credential line shown on an expert's posts")
	// Flags may come after the action and its arguments.
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) == 0 {
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	svc := forum.New(st, markdown.New())

	action, params := positional[0], positional[1:]
	need := map[string]int{"list": 0, "approve": 1, "role": 2, "suspend": 1, "unsuspend": 1}
	n, ok := need[action]
	if !ok {
		return fmt.Errorf("unknown action %q (list, approve, role, suspend, unsuspend)", action)
	}
	if len(params) != n {
		return fmt.Errorf("%s takes %d argument(s), got %d; see forum user --help", action, n, len(params))
	}
	if action == "list" {
		return listUsers(ctx, st, model.Role(*role), stdout)
	}
	u, err := findUser(ctx, st, params[0])
	if err != nil {
		return err
	}
	switch action {
	case "approve":
		err = svc.DecideMembership(ctx, forum.CommandLine, u.ID, forum.DecisionApprove, "from the command line")
	case "role":
		err = svc.SetRole(ctx, forum.CommandLine, u.ID, model.Role(params[1]), *credential)
	case "suspend":
		err = svc.Suspend(ctx, forum.CommandLine, u.ID, "from the command line")
	case "unsuspend":
		err = svc.Unsuspend(ctx, forum.CommandLine, u.ID, "from the command line")
	}
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return errors.New(invalidText(inv))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: done for %s (#%d)\n", action, u.Pseudonym, u.ID)
	return nil
}

func findUser(ctx context.Context, st *store.Store, who string) (*model.User, error) {
	var (
		u   *model.User
		err error
	)
	switch {
	case strings.HasPrefix(who, "#"):
		id, perr := strconv.ParseInt(who[1:], 10, 64)
		if perr != nil {
			return nil, fmt.Errorf("%q is not #ID", who)
		}
		u, err = st.UserByID(ctx, id)
	case strings.Contains(who, "@"):
		u, err = st.UserByEmail(ctx, who)
	default:
		u, err = st.UserByPseudonym(ctx, who)
	}
	if errors.Is(err, model.ErrNotFound) {
		return nil, fmt.Errorf("no account %q", who)
	}
	return u, err
}

func listUsers(ctx context.Context, st *store.Store, role model.Role, w io.Writer) error {
	users, err := st.Users(ctx, store.UserQuery{Role: role})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPSEUDONYM\tE-MAIL\tROLE\tSTATUS\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Pseudonym, u.Email, u.Role, u.Status, u.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

func invalidText(inv *model.InvalidError) string {
	var parts []string
	for _, m := range inv.Fields {
		parts = append(parts, m)
	}
	return strings.Join(parts, " ")
}
