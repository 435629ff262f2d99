package metastore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

func testKey(t *testing.T, source string) *SecretKey {
	t.Helper()
	text, err := GenerateSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewSecretKey(text, source)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	testPassword = "pw-Zq8vN3xK"    // must never be in the file
	testToken    = "tok-4Hc9LmQe2r" // a bearer token in extra, the same
	testExtra    = `{"token": "` + testToken + `", "timeout": 5}`
)

func TestConnectionsRoundTrip(t *testing.T) {
	s := newStore(t)
	s.UseSecretKey(testKey(t, "test"))
	ctx := t.Context()
	api := tasks.Connection{ConnID: "api", ConnType: "http", Description: "the API", Host: "api.example.com", Port: 443,
		Schema: "https", Login: "bot", Password: testPassword, Extra: testExtra}
	db := tasks.Connection{ConnID: "db", ConnType: "sqlite", Host: "/data/x.db"}
	for _, c := range []tasks.Connection{db, {ConnID: "api", ConnType: "http"}, api} {
		if err := s.SetConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListConnections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []tasks.Connection{api, db}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListConnections = %+v, want %+v (the second set of api replaces the first)", got, want)
	}
	if c, err := s.GetConnection(ctx, "api"); err != nil || c != api {
		t.Errorf("GetConnection = %+v, %v", c, err)
	}
	if ids, err := s.ConnectionIDs(ctx); err != nil || !reflect.DeepEqual(ids, map[string]bool{"api": true, "db": true}) {
		t.Errorf("ConnectionIDs = %v, %v", ids, err)
	}
	if err := s.AddConnection(ctx, tasks.Connection{ConnID: "db", ConnType: "http", Password: "other"}); !errors.Is(err, scheduler.ErrExists) {
		t.Errorf("AddConnection of a taken conn_id = %v, want ErrExists", err)
	}
	if c, _ := s.GetConnection(ctx, "db"); c != db {
		t.Errorf("a refused AddConnection changed the connection: %+v", c)
	}
	if err := s.DeleteConnection(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConnection(ctx, "db"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetConnection of a deleted connection = %v, want ErrNotFound", err)
	}
	if err := s.DeleteConnection(ctx, "db"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("DeleteConnection twice = %v, want ErrNotFound", err)
	}
}

// TestConnectionSecretsNotInFile: neither the password nor the extra's token is anywhere in
// wasmflow.db or its -wal, while the Store is open and after it closed (checkpointed).
func TestConnectionSecretsNotInFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wasmflow.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.UseSecretKey(testKey(t, "test"))
	c := tasks.Connection{ConnID: "api", ConnType: "http", Host: "api.example.com", Login: "bot-login",
		Password: testPassword, Extra: testExtra}
	if err := s.SetConnection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	grep := func(when string) {
		found := false
		for _, f := range []string{path, path + "-wal"} {
			data, err := os.ReadFile(f)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			found = found || bytes.Contains(data, []byte("bot-login"))
			for _, secret := range []string{testPassword, testToken} {
				if bytes.Contains(data, []byte(secret)) {
					t.Errorf("%s: %s contains the secret %q", when, filepath.Base(f), secret)
				}
			}
		}
		if !found {
			t.Fatalf("%s: the login, stored in clear, is in neither file: the grep looks in the wrong place", when)
		}
	}
	grep("open")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	grep("closed")
}

// TestConnectionSecretsNotInColumns: on the selected dialect (PostgreSQL has no file to grep),
// the password and extra columns hold ciphertext: neither secret, in clear, is in any column.
func TestConnectionSecretsNotInColumns(t *testing.T) {
	s := newStore(t)
	s.UseSecretKey(testKey(t, "test"))
	c := tasks.Connection{ConnID: "api", ConnType: "http", Login: "bot-login", Password: testPassword, Extra: testExtra}
	if err := s.SetConnection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	var row struct{ Login, Password, Extra string }
	if err := s.rdb.Raw("SELECT login, password, extra FROM connection WHERE conn_id = 'api'").Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	if row.Login != "bot-login" {
		t.Fatalf("login column = %q: the query reads the wrong row", row.Login)
	}
	for _, secret := range []string{testPassword, testToken} {
		if strings.Contains(row.Password+row.Extra, secret) {
			t.Errorf("the connection's columns hold %q in clear: %+v", secret, row)
		}
	}
	if got, err := s.GetConnection(t.Context(), "api"); err != nil || got.Password != testPassword || got.Extra != testExtra {
		t.Errorf("GetConnection = %+v, %v; want the secrets opened again", got, err)
	}
}

// TestConnectionWrongKey: a key other than the one the secrets were sealed with, and no key at
// all, give errors that name the key, never garbage.
func TestConnectionWrongKey(t *testing.T) {
	path := testURL(t)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.UseSecretKey(testKey(t, "the first key"))
	if err := s.SetConnection(t.Context(), tasks.Connection{ConnID: "api", ConnType: "http", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := func() *Store {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}()
	if has, err := s2.HasSealedSecrets(t.Context()); err != nil || !has {
		t.Errorf("HasSealedSecrets = %v, %v, want true", has, err)
	}
	if _, err := s2.GetConnection(t.Context(), "api"); !errors.Is(err, ErrSecretKey) || !strings.Contains(err.Error(), "core.fernet_key") {
		t.Errorf("GetConnection without a key = %v, want an error naming core.fernet_key", err)
	}
	s2.UseSecretKey(testKey(t, "/home/x/fernet.key"))
	_, err = s2.GetConnection(t.Context(), "api")
	if !errors.Is(err, ErrSecretKey) || !strings.Contains(err.Error(), "/home/x/fernet.key") || !strings.Contains(err.Error(), "not the key") {
		t.Errorf("GetConnection with another key = %v, want an error naming the key file", err)
	}
	if _, err := s2.ListConnections(t.Context()); err == nil {
		t.Error("ListConnections with another key succeeded")
	}
	if _, err := NewSecretKey("not-a-key", "core.fernet_key"); err == nil || !strings.Contains(err.Error(), "core.fernet_key") {
		t.Errorf("NewSecretKey of a bad key = %v, want an error naming where it came from", err)
	}
}

// TestSealedValueBoundToRow: a sealed password copied onto another connection does not open,
// so a writer of the file cannot move a secret to a connection it controls.
func TestSealedValueBoundToRow(t *testing.T) {
	s := newStore(t)
	s.UseSecretKey(testKey(t, "test"))
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		if err := s.SetConnection(ctx, tasks.Connection{ConnID: id, ConnType: "http", Password: "pw-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Exec("UPDATE connection SET password = (SELECT password FROM connection WHERE conn_id = 'a') WHERE conn_id = 'b'").Error; err != nil {
		t.Fatal(err)
	}
	if c, err := s.GetConnection(ctx, "b"); err == nil {
		t.Errorf("GetConnection(b) with a's sealed password = %q, want an error", c.Password)
	}
}
