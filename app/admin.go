package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// SetVariable creates or replaces a Variable.
func (a *App) SetVariable(ctx context.Context, who Actor, v scheduler.Variable) error {
	if strings.TrimSpace(v.Key) == "" {
		return errors.New("a variable needs a non-empty key")
	}
	for _, f := range [...]struct{ name, s string }{{"key", v.Key}, {"value", v.Value}, {"description", v.Description}} {
		if err := CheckUTF8("the variable's "+f.name, f.s); err != nil {
			return err
		}
	}
	if err := a.Store.SetVariable(ctx, v); err != nil {
		return fmt.Errorf("set variable %s: %w", v.Key, err)
	}
	a.audit(ctx, who, "variable.set", scheduler.AuditEvent{Extra: v.Key})
	return nil
}

// GetVariable returns one Variable.
func (a *App) GetVariable(ctx context.Context, key string) (scheduler.Variable, error) {
	v, err := a.Store.GetVariable(ctx, key)
	if errors.Is(err, scheduler.ErrNotFound) {
		return v, fmt.Errorf("variable %q %w", key, scheduler.ErrNotFound)
	}
	return v, err
}

// ListVariables lists every Variable, by key, as a listing shows them: the value of one whose
// key names a secret (tasks.SensitiveName: db_password, api_key, ...) is "***", Airflow's rule.
// GetVariable returns the value itself.
func (a *App) ListVariables(ctx context.Context) ([]scheduler.Variable, error) {
	vs, err := a.Store.ListVariables(ctx)
	for i := range vs {
		if tasks.SensitiveName(vs[i].Key) {
			vs[i].Value = tasks.Masked
		}
	}
	return vs, err
}

// minMaskedLength is Airflow's [logging] min_length_masked_secret: a shorter value is not masked
// in logs, where replacing every "on" or "1" would garble the log and hide nothing worth
// hiding. It also keeps a masked log never longer than the file, which the log views' byte
// offsets rely on.
const minMaskedLength = 5

// LogSecrets are the values a served log hides: those of the Variables whose key names a
// secret (tasks.SensitiveName), as Airflow masks them in task logs.
func (a *App) LogSecrets(ctx context.Context) (*tasks.Secrets, error) {
	vs, err := a.Store.ListVariables(ctx)
	if err != nil {
		return nil, err
	}
	s := &tasks.Secrets{}
	for _, v := range vs {
		if tasks.SensitiveName(v.Key) && len(v.Value) >= minMaskedLength {
			s.Add(v.Value)
		}
	}
	return s, nil
}

// DeleteVariable removes a Variable.
func (a *App) DeleteVariable(ctx context.Context, who Actor, key string) error {
	if err := a.Store.DeleteVariable(ctx, key); err != nil {
		if errors.Is(err, scheduler.ErrNotFound) {
			return fmt.Errorf("variable %q %w", key, scheduler.ErrNotFound)
		}
		return err
	}
	a.audit(ctx, who, "variable.delete", scheduler.AuditEvent{Extra: key})
	return nil
}

// SetPool creates a pool or changes its slots and description.
func (a *App) SetPool(ctx context.Context, who Actor, p scheduler.Pool) error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return errors.New("a pool needs a name")
	case p.Slots < -1:
		return fmt.Errorf("pool %s: slots must be 0 or more, or -1 for no limit, got %d", p.Name, p.Slots)
	}
	if err := a.Store.SetPool(ctx, p); err != nil {
		return fmt.Errorf("set pool %s: %w", p.Name, err)
	}
	a.audit(ctx, who, "pool.set", scheduler.AuditEvent{Extra: fmt.Sprintf("%s slots=%d", p.Name, p.Slots)})
	return nil
}

// ListPools lists every pool.
func (a *App) ListPools(ctx context.Context) ([]scheduler.Pool, error) { return a.Store.ListPools(ctx) }

// DeletePool removes a pool; default_pool cannot be removed.
func (a *App) DeletePool(ctx context.Context, who Actor, name string) error {
	if err := a.Store.DeletePool(ctx, name); err != nil {
		if errors.Is(err, scheduler.ErrNotFound) {
			return fmt.Errorf("pool %q %w", name, scheduler.ErrNotFound)
		}
		return err
	}
	a.audit(ctx, who, "pool.delete", scheduler.AuditEvent{Extra: name})
	return nil
}

// Roles lists Airflow's roles, lowest first.
var Roles = []string{scheduler.RoleViewer, scheduler.RoleUser, scheduler.RoleOp, scheduler.RoleAdmin}

// NormalizeRole accepts a role name in any case and returns its canonical spelling.
func NormalizeRole(r string) (string, error) {
	for _, known := range Roles {
		if strings.EqualFold(r, known) {
			return known, nil
		}
	}
	return "", fmt.Errorf("role %q is not one of %s", r, strings.Join(Roles, ", "))
}

// MinPasswordChars is the shortest password a user may have.
const MinPasswordChars = 8

// NewUser is what creating a user takes. An empty Password means: generate one.
type NewUser struct {
	Username, Password, Role, Email, FirstName, LastName string
}

// UserInfo is a user in Airflow's REST shape; the password hash never leaves the metastore.
type UserInfo struct {
	Username  string     `json:"username"`
	Email     string     `json:"email"`
	FirstName string     `json:"first_name"`
	LastName  string     `json:"last_name"`
	Roles     []Tag      `json:"roles"`
	Active    bool       `json:"active"`
	CreatedOn time.Time  `json:"created_on"`
	LastLogin *time.Time `json:"last_login"`
}

func userInfo(u scheduler.User) UserInfo {
	return UserInfo{Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Roles: []Tag{{Name: u.Role}}, Active: u.Active, CreatedOn: u.CreatedAt, LastLogin: u.LastLogin}
}

// MaxUsernameBytes bounds user names: logins with longer ones are refused before any lookup.
const MaxUsernameBytes = 255

// RandomPassword is a new user's password when none is given: 20 characters, 120 random bits.
func RandomPassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateUser adds a user with a bcrypt-hashed password. It returns the password, which is the
// generated one when none was given: shown once, stored nowhere in plain text.
func (a *App) CreateUser(ctx context.Context, who Actor, n NewUser) (UserInfo, string, error) {
	role, err := NormalizeRole(n.Role)
	if err != nil {
		return UserInfo{}, "", err
	}
	if strings.TrimSpace(n.Username) == "" {
		return UserInfo{}, "", errors.New("a user needs a username (-u)")
	}
	if len(n.Username) > MaxUsernameBytes {
		return UserInfo{}, "", fmt.Errorf("the username is %d bytes long; usernames have at most %d bytes", len(n.Username), MaxUsernameBytes)
	}
	password := n.Password
	if password == "" {
		if password, err = RandomPassword(); err != nil {
			return UserInfo{}, "", err
		}
	}
	hash, err := hashPassword(password)
	if err != nil {
		return UserInfo{}, "", err
	}
	u, err := a.Store.CreateUser(ctx, scheduler.User{Username: n.Username, Email: n.Email, FirstName: n.FirstName,
		LastName: n.LastName, Role: role, PasswordHash: hash, Active: true, CreatedAt: time.Now().UTC()})
	if err != nil {
		return UserInfo{}, "", err
	}
	a.audit(ctx, who, "user.create", scheduler.AuditEvent{Extra: n.Username + " role=" + role})
	return userInfo(u), password, nil
}

// hashPassword checks a new password's length and returns its bcrypt hash.
func hashPassword(password string) (string, error) {
	if len(password) > 72 { // bcrypt reads at most 72 bytes; longer would silently not count
		return "", errors.New("the password is longer than 72 bytes, which bcrypt cannot check in full")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordChars {
		return "", fmt.Errorf("the password has %d characters; a password has at least %d", n, MinPasswordChars)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// ListUsers lists every user.
func (a *App) ListUsers(ctx context.Context) ([]UserInfo, error) {
	users, err := a.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, 0, len(users))
	for _, u := range users {
		out = append(out, userInfo(u))
	}
	return out, nil
}

// DeleteUser removes a user.
func (a *App) DeleteUser(ctx context.Context, who Actor, username string) error {
	if err := a.Store.DeleteUser(ctx, username); err != nil {
		if errors.Is(err, scheduler.ErrNotFound) {
			return fmt.Errorf("user %q %w", username, scheduler.ErrNotFound)
		}
		return err
	}
	a.audit(ctx, who, "user.delete", scheduler.AuditEvent{Extra: username})
	return nil
}

// CheckPassword reports whether password is the user's. Unknown users and wrong passwords
// give the same answer, so a caller cannot tell which usernames exist.
func (a *App) CheckPassword(ctx context.Context, username, password string) (UserInfo, bool) {
	u, err := a.Store.GetUser(ctx, username)
	if err != nil || !u.Active {
		// Spend the same time as a real check.
		_ = bcrypt.CompareHashAndPassword([]byte("$2a$10$7EqJtq98hPqEX7fNZaFWoOa8DBrUIGjc6hFDiHr6zN1Vj/6Lh5U1K"), []byte(password))
		return UserInfo{}, false
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return UserInfo{}, false
	}
	return userInfo(u), true
}

// AuditLog lists the newest audit events first.
func (a *App) AuditLog(ctx context.Context, limit int) ([]scheduler.AuditEvent, error) {
	return a.Store.ListAuditEvents(ctx, limit)
}

// RecordLogin notes a successful login: the user's last_login and the audit log.
func (a *App) RecordLogin(ctx context.Context, username string) {
	if err := a.Store.SetLastLogin(ctx, username, time.Now()); err != nil {
		a.Log.Warn("record a login", "username", username, "err", err)
	}
	a.audit(ctx, Actor(username), "user.login", scheduler.AuditEvent{})
}
