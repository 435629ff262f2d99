package app

import (
	"context"

	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

// SchemaVersionNow is the schema version of the metastore as it is, without creating or
// migrating it: 0 when it does not exist or holds no wasmflow schema.
func SchemaVersionNow(ctx context.Context, cfg config.Config) int {
	store, err := metastore.Open(ctx, cfg.Database.URL, metastore.WithoutMigrations(), metastore.WithPool(dbPool(cfg)))
	if err != nil {
		return 0
	}
	defer store.Close()
	v, err := store.SchemaVersion(ctx)
	if err != nil {
		return 0
	}
	return v
}
