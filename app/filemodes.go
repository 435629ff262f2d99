package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/wasmflow/wasmflow/app/config"
)

// secretFiles are the files of a home that hold secrets, each created 0600 by what writes it:
// the API's signing key (api.LoadSecret), the generated cluster secret and the first admin's
// password (`wasmflow standalone`).
var secretFiles = []string{"api.secret", clusterSecretFile, "standalone_admin_password.txt"}

// warnOpenModes warns about each file of the home that holds secrets (the metastore and its
// -wal and -shm, the logs folder, the key files) and that other users of the machine may
// read: a home made before wasmflow created them owner-only, or copied with wider modes. It
// says the chmod that fixes it and changes nothing itself: the files are the user's.
func warnOpenModes(cfg config.Config, dbPath string, log *slog.Logger) {
	if goruntime.GOOS == "windows" { // no Unix modes; the folder's ACL decides
		return
	}
	check := func(path string, dir bool) {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			return
		}
		fix := "chmod 600 " + shellQuote(path)
		if dir {
			fix = "chmod -R go= " + shellQuote(path)
		}
		log.Warn("this file holds secrets and other users of this machine may read it", "path", path,
			"mode", fmt.Sprintf("%04o", fi.Mode().Perm()), "fix", fix)
	}
	if dbPath != "" { // "": a PostgreSQL metastore, no file here
		for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
			check(p, false)
		}
	}
	check(cfg.LogsFolder(), true)
	for _, name := range secretFiles {
		check(filepath.Join(cfg.Home, name), false)
	}
}
