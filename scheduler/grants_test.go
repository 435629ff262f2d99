package scheduler_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestResolveGrants: a try's grants resolve to the stored connections, secrets included; a
// connection deleted since the DAG parsed is a MissingConnectionError that names it and how to
// add it back.
func TestResolveGrants(t *testing.T) {
	ctx := t.Context()
	store, err := metastore.Open(ctx, filepath.Join(t.TempDir(), "wasmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	text, _ := metastore.GenerateSecretKey()
	key, err := metastore.NewSecretKey(text, "test")
	if err != nil {
		t.Fatal(err)
	}
	store.UseSecretKey(key)
	for _, c := range []tasks.Connection{{ConnID: "api", ConnType: "http", Password: "pw"}, {ConnID: "vault", ConnType: "http", Extra: `{"token":"t"}`}} {
		if err := store.SetConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	g := tasks.Grants{Connections: []string{"api"}, Secrets: []string{"vault", "api"}, AllowHosts: []string{"x.example.com"}}
	got, err := scheduler.ResolveGrants(ctx, store, g)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["api"].Password != "pw" || got["vault"].Extra != `{"token":"t"}` {
		t.Errorf("ResolveGrants = %+v", got)
	}
	if err := store.DeleteConnection(ctx, "vault"); err != nil {
		t.Fatal(err)
	}
	_, err = scheduler.ResolveGrants(ctx, store, g)
	var missing *scheduler.MissingConnectionError
	if !errors.As(err, &missing) || missing.ConnID != "vault" ||
		!strings.Contains(err.Error(), `connection "vault" does not exist (deleted since the DAG was parsed?)`) ||
		!strings.Contains(err.Error(), "wasmflow connections add vault") {
		t.Errorf("ResolveGrants after a delete = %v, want a MissingConnectionError naming vault and how to add it", err)
	}
}
