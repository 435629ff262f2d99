package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/scheduler"
)

func (e *env) variablesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "variables", Short: "Manage Variables, the key/value pairs tasks read with var(name)"}
	set := &cobra.Command{Use: "set KEY VALUE", Short: "Create or replace a variable", Args: args(2, "KEY", "VALUE")}
	desc := set.Flags().String("description", "", "what the variable is for")
	asJSON := set.Flags().BoolP("json", "j", false, "the value is JSON: check it and store it formatted")
	set.Example = "  wasmflow variables set table orders\n  wasmflow variables set -j limits '{\"rows\": 100}'"
	set.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if *asJSON {
			v, err := setJSON(a[1])
			if err != nil {
				return err
			}
			a[1] = v
		}
		vs, err := e.variables(cmd.Context())
		if err != nil {
			return err
		}
		if err := vs.set(cmd.Context(), scheduler.Variable{Key: a[0], Value: a[1], Description: *desc}); err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Variable %s set\n", a[0])
		return nil
	})
	get := &cobra.Command{Use: "get KEY", Short: "Print a variable's value", Args: args(1, "KEY")}
	def := get.Flags().StringP("default", "d", "", "print this instead of failing when the variable does not exist")
	getJSON := get.Flags().BoolP("json", "j", false, "the value is JSON: check it and print it indented (Airflow's deserialize)")
	get.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		vs, err := e.variables(cmd.Context())
		if err != nil {
			return err
		}
		v, err := vs.get(cmd.Context(), a[0])
		if notFound(err) && cmd.Flags().Changed("default") {
			fmt.Fprintln(e.io.Stdout, *def)
			return nil
		}
		if err != nil {
			return err
		}
		if *getJSON {
			var parsed any
			if err := json.Unmarshal([]byte(v.Value), &parsed); err != nil {
				return fmt.Errorf("variable %s is not JSON (%v): get it without -j", a[0], err)
			}
			b, _ := json.MarshalIndent(parsed, "", "  ")
			fmt.Fprintln(e.io.Stdout, string(b))
			return nil
		}
		fmt.Fprintln(e.io.Stdout, v.Value)
		return nil
	})
	list := &cobra.Command{Use: "list", Short: "List the variables", Args: args(0)}
	out := outputFlag(list)
	list.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		vs, err := e.variables(cmd.Context())
		if err != nil {
			return err
		}
		vars, err := vs.list(cmd.Context())
		if err != nil {
			return err
		}
		type row struct {
			Key         string `json:"key"`
			Value       string `json:"value"`
			Description string `json:"description"`
		}
		data := make([]row, 0, len(vars))
		l := listing{header: []string{"key", "value", "description"}}
		for _, v := range vars {
			data = append(data, row{v.Key, v.Value, v.Description})
			l.rows = append(l.rows, []string{v.Key, v.Value, v.Description})
		}
		l.data = data
		return render(e.io.Stdout, *out, l)
	})
	del := &cobra.Command{Use: "delete KEY", Short: "Delete a variable", Args: args(1, "KEY"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			vs, err := e.variables(cmd.Context())
			if err != nil {
				return err
			}
			if err := vs.del(cmd.Context(), a[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Variable %s deleted\n", a[0])
			return nil
		})}
	cmd.AddCommand(remoteAll(set, get, list, del, e.variablesImport(), e.variablesExport())...)
	return cmd
}

func (e *env) poolsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "pools", Short: "Manage pools, which cap how many task slots run at once"}
	set := &cobra.Command{Use: "set NAME SLOTS [DESCRIPTION]", Short: "Create a pool or change its slots",
		Args: args(2, "NAME", "SLOTS", "DESCRIPTION"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			slots, err := strconv.Atoi(a[1])
			if err != nil || slots < -1 {
				return usageError{fmt.Errorf("SLOTS must be a whole number of 0 or more, or -1 for no limit (after --: pools set -- NAME -1), got %q", a[1])}
			}
			ps, err := e.pools(cmd.Context())
			if err != nil {
				return err
			}
			p := scheduler.Pool{Name: a[0], Slots: slots}
			if len(a) > 2 {
				p.Description = a[2]
			}
			if err := ps.set(cmd.Context(), p); err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Pool %s: %d slots\n", p.Name, p.Slots)
			return nil
		})}
	list := &cobra.Command{Use: "list", Short: "List the pools", Args: args(0)}
	out := outputFlag(list)
	list.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		ps, err := e.pools(cmd.Context())
		if err != nil {
			return err
		}
		pools, err := ps.list(cmd.Context())
		if err != nil {
			return err
		}
		return render(e.io.Stdout, *out, poolListing(pools))
	})
	del := &cobra.Command{Use: "delete NAME", Short: "Delete a pool (default_pool cannot be deleted)", Args: args(1, "NAME"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			ps, err := e.pools(cmd.Context())
			if err != nil {
				return err
			}
			if err := ps.del(cmd.Context(), a[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Pool %s deleted\n", a[0])
			return nil
		})}
	cmd.AddCommand(remoteAll(set, list, del, e.poolsGet(), e.poolsImport(), e.poolsExport())...)
	return cmd
}

func (e *env) usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage the users of the web UI and API"}
	cmd.AddCommand(localOnly(e.usersToken(), "it signs the token with this home's secret: run it on the server's machine, then pass the token with --token"))
	create := &cobra.Command{Use: "create", Short: "Create a user (roles: " + strings.Join(app.Roles, ", ") + ")", Args: args(0)}
	var n app.NewUser
	create.Flags().StringVarP(&n.Username, "username", "u", "", "login name (required)")
	create.Flags().StringVarP(&n.Password, "password", "p", "", "password (at least 8 characters); without it and --use-random-password, asked for")
	create.Flags().StringVarP(&n.Role, "role", "r", "", "Viewer, User, Op or Admin (required)")
	create.Flags().StringVarP(&n.Email, "email", "e", "", "email address")
	create.Flags().StringVarP(&n.FirstName, "firstname", "f", "", "first name")
	create.Flags().StringVarP(&n.LastName, "lastname", "l", "", "last name")
	random := create.Flags().Bool("use-random-password", false, "generate a password and print it once")
	create.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		switch {
		case n.Username == "":
			return usageError{fmt.Errorf("--username (-u) is required")}
		case n.Role == "":
			return usageError{fmt.Errorf("--role (-r) is required: one of %s", strings.Join(app.Roles, ", "))}
		case n.Password != "" && *random:
			return usageError{fmt.Errorf("--password and --use-random-password exclude each other")}
		}
		if n.Password == "" && !*random {
			p, err := e.askPassword()
			if err != nil {
				return err
			}
			n.Password = p
		}
		u, password, err := e.createUser(cmd.Context(), n)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "User %s created with role %s\n", u.Username, u.Roles[0].Name)
		if *random {
			fmt.Fprintf(e.io.Stdout, "Password: %s\n", password)
		}
		return nil
	})
	list := &cobra.Command{Use: "list", Short: "List the users", Args: args(0)}
	out := outputFlag(list)
	list.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		users, err := e.listUsers(cmd.Context())
		if err != nil {
			return err
		}
		l := listing{data: users, header: []string{"username", "email", "first_name", "last_name", "role", "active"}}
		for _, u := range users {
			l.rows = append(l.rows, []string{u.Username, u.Email, u.FirstName, u.LastName, u.Roles[0].Name, strconv.FormatBool(u.Active)})
		}
		return render(e.io.Stdout, *out, l)
	})
	del := &cobra.Command{Use: "delete", Short: "Delete a user", Args: args(0)}
	who := del.Flags().StringP("username", "u", "", "login name of the user to delete (required)")
	del.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		if *who == "" {
			return usageError{fmt.Errorf("--username (-u) is required")}
		}
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			if err := c.call(cmd.Context(), "DELETE", apiPath("users", *who), nil, nil); err != nil {
				return err
			}
		} else {
			ap, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			if err := ap.DeleteUser(cmd.Context(), app.LocalActor(), *who); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.io.Stdout, "User %s deleted\n", *who)
		return nil
	})
	cmd.AddCommand(remoteAll(create, list, del, e.usersAddRole(), e.usersRemoveRole())...)
	const userFile = "it reads or writes a users file on this machine against the home's users; through the API, GET, POST and PATCH /api/v1/users do the same"
	cmd.AddCommand(localOnly(e.usersExport(), userFile), localOnly(e.usersImport(), userFile))
	return cmd
}

// usersToken prints a bearer token for scripts and `--server`, signed with this home's key.
func (e *env) usersToken() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print an API token for a user, for scripts and `wasmflow --server URL --token T`",
		Long: `Print a bearer token for a user of this home. It acts with the user's role, for as long
as the user exists and until it expires. Send it as "Authorization: Bearer <token>".
Deleting <home>/api.secret voids every token and session.`,
		Args: args(0),
	}
	username := cmd.Flags().StringP("username", "u", "", "the user (required)")
	expires := cmd.Flags().Duration("expires", api.DefaultTokenTTL, "how long the token is valid")
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		if *username == "" {
			return usageError{errors.New("--username (-u) is required")}
		}
		if *expires <= 0 {
			return usageError{errors.New("--expires must be positive, like 720h")}
		}
		ap, err := e.open(cmd.Context(), false)
		if err != nil {
			return err
		}
		if _, err := ap.Store.GetUser(cmd.Context(), *username); err != nil {
			return fmt.Errorf("user %q: %w (`wasmflow users list` shows them)", *username, err)
		}
		tok, exp, err := api.IssueToken(ap.Config.Home, *username, *expires)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.io.Stdout, tok)
		fmt.Fprintf(e.io.Stderr, "valid until %s\n", exp.UTC().Format(time.RFC3339))
		return nil
	})
	return cmd
}
