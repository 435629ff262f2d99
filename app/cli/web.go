package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/frontend"
)

// defaultListen is api.listen's default. Only then may another port be taken when it is busy;
// an address the user chose is theirs, and a busy one is an error.
const defaultListen = "127.0.0.1:8080"

// adminPasswordFile keeps the generated admin password for the user who missed the console,
// as Airflow's standalone does (mode 0600, in the home).
const adminPasswordFile = "standalone_admin_password.txt"

// startWeb serves the API and the views on api.listen until ctx is done, and makes sure
// someone can log in: with no user yet, it creates "admin" and prints its password once.
// It returns the URL it serves at.
func (e *env) startWeb(ctx context.Context, ap *app.App) (string, error) {
	srv, err := api.New(ap, api.Options{Assets: frontend.Dist()})
	if err != nil {
		return "", err
	}
	addr := ap.Config.API.Listen
	ln, err := net.Listen("tcp", addr)
	if err != nil && errors.Is(err, syscall.EADDRINUSE) && addr == defaultListen {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			fmt.Fprintf(e.io.Stderr, "note: %s is in use; serving the UI and API on %s instead (set api.listen to choose)\n", addr, ln.Addr())
		}
	}
	if err != nil {
		return "", fmt.Errorf("serve the UI and API on %s: %w (set api.listen in wasmflow.toml, or WASMFLOW__API__LISTEN)", addr, err)
	}
	// The first admin is created once the address is ours: its password is shown once, and a
	// start that fails on a busy port must not have spent it.
	if err := e.ensureAdmin(ctx, ap); err != nil {
		ln.Close()
		return "", err
	}
	// Headers are small (a session cookie, a token, basic auth of at most 255 + 4096 bytes):
	// 64 KiB, not net/http's 1 MiB, so strangers' requests stay cheap before any check.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			ap.Log.Error("the UI and API stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx) // event streams never end by themselves: cut them after 2 s
		_ = hs.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}

// ensureAdmin creates the first user, an Admin, when there is none.
func (e *env) ensureAdmin(ctx context.Context, ap *app.App) error {
	users, err := ap.ListUsers(ctx)
	if err != nil || len(users) > 0 {
		return err
	}
	_, password, err := ap.CreateUser(ctx, "wasmflow", app.NewUser{Username: "admin", Role: "Admin"})
	if err != nil {
		return fmt.Errorf("create the first admin user: %w", err)
	}
	path := filepath.Join(ap.Config.Home, adminPasswordFile)
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Stdout, "Created the user admin (role Admin) with the password: %s\n(shown once; also in %s — change it or delete the file)\n", password, path)
	return nil
}
