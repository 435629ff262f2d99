package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"

	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

// loadSecretKey returns the key that seals connection secrets: core.fernet_key when set, else
// the key file in the home, generated (mode 0600) on first start. A key file that is gone while
// the metastore holds sealed secrets is not replaced: a new key would not open them.
func loadSecretKey(ctx context.Context, cfg config.Config, store *metastore.Store, log *slog.Logger) (*metastore.SecretKey, error) {
	if cfg.Core.FernetKey != "" {
		return metastore.NewSecretKey(cfg.Core.FernetKey, "core.fernet_key ("+config.EnvName("core", "fernet_key")+" or "+config.FileName+")")
	}
	path := cfg.FernetKeyFile()
	b, err := os.ReadFile(path)
	if err == nil {
		// Windows has no such mode bits: every file reads as 0666 there.
		if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
			log.Warn("the key file that encrypts connection secrets is readable by others: chmod 600 it", "file", path, "mode", st.Mode().Perm().String())
		}
		return metastore.NewSecretKey(string(b), path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the connections' secret key: %w (or set core.fernet_key)", err)
	}
	sealed, err := store.HasSealedSecrets(ctx)
	if err != nil {
		return nil, err
	}
	if sealed {
		return nil, fmt.Errorf("the key file %s is missing, but the metastore holds connection secrets sealed with it: "+
			"restore the file, or set core.fernet_key to the key (a new key could not open them)", path)
	}
	text, err := metastore.GenerateSecretKey()
	if err != nil {
		return nil, err
	}
	// Written aside, then linked into place: of two processes starting at once on a new home,
	// one links its key, the other finds the file complete and reads it.
	tmp, err := os.CreateTemp(cfg.Home, ".fernet.key-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("save the connections' secret key: %w (or set core.fernet_key)", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(text + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if errors.Is(err, fs.ErrExist) { // another process linked its key first: use that one
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read the connections' secret key: %w (or set core.fernet_key)", err)
		}
		return metastore.NewSecretKey(string(b), path)
	}
	if err != nil {
		return nil, fmt.Errorf("save the connections' secret key %s: %w (or set core.fernet_key)", path, err)
	}
	return metastore.NewSecretKey(text, path)
}
