package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
)

// userFlags are -u and -r of add-role and remove-role.
func userRoleFlags(cmd *cobra.Command) (username, role *string) {
	username = cmd.Flags().StringP("username", "u", "", "the user (required)")
	role = cmd.Flags().StringP("role", "r", "", "Viewer, User, Op or Admin (required)")
	return username, role
}

// userRoles is where add-role and remove-role read and set a user's one role: the local home,
// or a server's API (--server).
type userRoles interface {
	role(ctx context.Context, username string) (string, error)
	setRole(ctx context.Context, username, role string) (old string, err error)
}

type localUserRoles struct{ a *app.App }

func (l localUserRoles) role(ctx context.Context, username string) (string, error) {
	u, err := l.a.Store.GetUser(ctx, username)
	return u.Role, err
}
func (l localUserRoles) setRole(ctx context.Context, username, role string) (string, error) {
	return l.a.SetUserRole(ctx, app.LocalActor(), username, role)
}

type remoteUserRoles struct{ c *client }

func (r remoteUserRoles) role(ctx context.Context, username string) (string, error) {
	var u app.UserInfo
	if err := r.c.call(ctx, "GET", apiPath("users", username), nil, &u); err != nil {
		return "", err
	}
	if len(u.Roles) == 0 {
		return "", fmt.Errorf("the server answered user %q with no role", username)
	}
	return u.Roles[0].Name, nil
}
func (r remoteUserRoles) setRole(ctx context.Context, username, role string) (string, error) {
	old, err := r.role(ctx, username)
	if err != nil {
		return "", err
	}
	body := map[string]any{"roles": []map[string]string{{"name": role}}}
	return old, r.c.call(ctx, "PATCH", apiPath("users", username)+"?update_mask=roles", body, nil)
}

// openUserRole checks add-role's and remove-role's -u and -r, and opens the home or the
// server's API.
func (e *env) openUserRole(cmd *cobra.Command, username, role string) (userRoles, string, error) {
	if username == "" || role == "" {
		return nil, "", usageError{errors.New("give the user with -u USERNAME and the role with -r ROLE")}
	}
	r, err := app.NormalizeRole(role)
	if err != nil {
		return nil, "", usageError{err}
	}
	if c, err := e.remote(); err != nil || c != nil {
		return remoteUserRoles{c}, r, err
	}
	ap, err := e.open(cmd.Context(), false)
	return localUserRoles{ap}, r, err
}

func (e *env) usersAddRole() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-role -u USERNAME -r ROLE",
		Short: "Give a user a role; a user has one role, so it replaces the one it had",
		Long: `Give a user a role, as Airflow's users add-role. A wasmflow user has exactly one role (each
role may do what the ones below it may), so the new role replaces the old one.`,
		Example: "  wasmflow users add-role -u ann -r Op",
		Args:    args(0),
	}
	username, role := userRoleFlags(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		ur, r, err := e.openUserRole(cmd, *username, *role)
		if err != nil {
			return err
		}
		if cur, err := ur.role(cmd.Context(), *username); err == nil && cur == r {
			return fmt.Errorf("user %q is already a member of role %q", *username, r)
		}
		old, err := ur.setRole(cmd.Context(), *username, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "User %q added to role %q (in place of %q: a user has one role)\n", *username, r, old)
		return nil
	})
	return cmd
}

func (e *env) usersRemoveRole() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove-role -u USERNAME -r ROLE",
		Short: "Take a role from a user: give it another with add-role, as a user has exactly one",
		Long: `Airflow's users remove-role. A wasmflow user has exactly one role, so it cannot lose it and
keep none: this says so, and which command does what was meant (add-role with a lower role,
or users delete).`,
		Example: "  wasmflow users remove-role -u ann -r Admin",
		Args:    args(0),
	}
	username, role := userRoleFlags(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		ur, r, err := e.openUserRole(cmd, *username, *role)
		if err != nil {
			return err
		}
		cur, err := ur.role(cmd.Context(), *username)
		if err != nil {
			return fmt.Errorf("user %q: %w (`wasmflow users list` shows them)", *username, err)
		}
		if cur != r {
			return fmt.Errorf("user %q is not a member of role %q (its role is %q)", *username, r, cur)
		}
		return fmt.Errorf("user %q has %q as its only role and a user keeps one: give it another with `wasmflow users add-role -u %s -r Viewer`, or `wasmflow users delete -u %s`", *username, r, *username, *username)
	})
	return cmd
}

// airflowUser is a user in Airflow's users export and import files; passwords are not in it.
type airflowUser struct {
	ID        int64    `json:"id,omitempty"`
	Username  string   `json:"username"`
	Email     string   `json:"email"`
	FirstName string   `json:"firstname"`
	LastName  string   `json:"lastname"`
	Roles     []string `json:"roles"`
}

func (e *env) usersExport() *cobra.Command {
	return &cobra.Command{
		Use:     "export FILE",
		Short:   "Write every user to a JSON file of Airflow's format, without passwords ('-' writes stdout)",
		Example: "  wasmflow users export users.json",
		Args:    args(1, "FILE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			ap, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			users, err := ap.Store.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			out := make([]airflowUser, 0, len(users))
			for _, u := range users {
				out = append(out, airflowUser{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Roles: []string{u.Role}})
			}
			if err := e.writeJSONFile(a[0], out); err != nil {
				return err
			}
			if a[0] != "-" {
				fmt.Fprintf(e.io.Stdout, "%d users successfully exported to %s\n", len(out), a[0])
			}
			return nil
		}),
	}
}

func (e *env) usersImport() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Create or update users from a JSON file of Airflow's format ('-' reads stdin)",
		Long: `Import users from a JSON list of {"username", "email", "firstname", "lastname", "roles"}, as
Airflow's users export writes it. An existing user gets the email, names and role of the file;
a new one gets a random password, printed once (the file has none). A user has one role here:
of several, the highest is taken.`,
		Example: "  wasmflow users import users.json",
		Args:    args(1, "FILE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			var in []airflowUser
			if err := e.readJSONFile(a[0], "the users file", &in); err != nil {
				return err
			}
			// Every entry is checked before any is written.
			news := make([]app.NewUser, len(in))
			for i, u := range in {
				if u.Username == "" || len(u.Roles) == 0 {
					return fmt.Errorf("user %d of %s: give \"username\" and \"roles\"; nothing imported", i+1, a[0])
				}
				role, err := highestRole(u.Roles)
				if err != nil {
					return fmt.Errorf("user %s of %s: %w; nothing imported", u.Username, a[0], err)
				}
				if len(u.Roles) > 1 {
					fmt.Fprintf(e.io.Stderr, "note: %s has roles %s; a user has one here: %s\n", u.Username, strings.Join(u.Roles, ", "), role)
				}
				news[i] = app.NewUser{Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Role: role}
			}
			ap, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			var created, updated []string
			for _, n := range news {
				if _, err := ap.Store.GetUser(cmd.Context(), n.Username); err == nil {
					if err := ap.UpdateUser(cmd.Context(), app.LocalActor(), n); err != nil {
						return err
					}
					updated = append(updated, n.Username)
					continue
				} else if !notFound(err) {
					return err
				}
				_, password, err := ap.CreateUser(cmd.Context(), app.LocalActor(), n)
				if err != nil {
					return err
				}
				created = append(created, fmt.Sprintf("%s (password: %s)", n.Username, password))
			}
			if len(created) > 0 {
				fmt.Fprintf(e.io.Stdout, "Created the following users:\n\t%s\n", strings.Join(created, "\n\t"))
			}
			if len(updated) > 0 {
				fmt.Fprintf(e.io.Stdout, "Updated the following users:\n\t%s\n", strings.Join(updated, "\n\t"))
			}
			return nil
		}),
	}
}

// highestRole is the highest of Airflow role names (wasmflow's roles each include the lower).
func highestRole(roles []string) (string, error) {
	best := -1
	for _, r := range roles {
		n, err := app.NormalizeRole(r)
		if err != nil {
			return "", err
		}
		for i, known := range app.Roles {
			if known == n && i > best {
				best = i
			}
		}
	}
	return app.Roles[best], nil
}

func (e *env) rolesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "roles", Short: "List the roles users can have (they are built in)"}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the roles, lowest first, with what each may do",
		Example: "  wasmflow roles list\n  wasmflow roles list -o json",
		Args:    args(0),
	}
	out := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		type row struct {
			Name        string `json:"name"`
			Permissions string `json:"permissions"`
		}
		data := make([]row, 0, len(app.Roles))
		l := listing{header: []string{"name", "permissions"}}
		for _, r := range app.Roles {
			data = append(data, row{r, app.RoleDescriptions[r]})
			l.rows = append(l.rows, []string{r, app.RoleDescriptions[r]})
		}
		l.data = data
		return render(e.io.Stdout, *out, l)
	}
	cmd.AddCommand(list)
	return cmd
}
