// Package pgtest starts a throwaway PostgreSQL server for tests: Debian's server binaries
// (`.ci/install-deps.sh postgres`, which `make deps` runs), a cluster in a temporary directory,
// listening on 127.0.0.1 at a free port, password authentication over TCP. Start one per test
// binary (in TestMain, or lazily under a sync.Once) and Stop it when the binary ends.
//
// initdb refuses to run as root, so as root the server runs as the `postgres` user the Debian
// package creates (runuser), its directory handed over to that user.
//
// It imports the standard library only.
package pgtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// InstallHint is what to run when the server binaries are missing.
const InstallHint = "install them with `.ci/install-deps.sh postgres` (or `make deps`), which installs Debian's postgresql"

// Server is a running PostgreSQL server.
type Server struct {
	// Host and Port are where it listens (TCP, 127.0.0.1 only).
	Host string
	Port int
	// User and Password are its superuser's; TCP connections must give the password.
	User, Password string
	// Dir holds the cluster (Dir/data), its log (Dir/server.log) and its Unix socket.
	Dir string

	bin     string
	runAs   string // "" or "postgres" when the tests run as root
	stopped bool
}

// Start makes a new cluster and starts its server. The error says what is missing or shows
// the server's log.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", User: "postgres", bin: bin}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
	}
	if s.Dir, err = os.MkdirTemp("", "wasmflow-pgtest-"); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		os.RemoveAll(s.Dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	if s.runAs != "" {
		u, err := user.Lookup(s.runAs)
		if err != nil {
			return fmt.Errorf("pgtest: initdb refuses root and there is no %s user (%v): %s", s.runAs, err, InstallHint)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(s.Dir, uid, gid); err != nil {
			return fmt.Errorf("pgtest: hand %s to %s: %w", s.Dir, s.runAs, err)
		}
	}
	pw := make([]byte, 12)
	rand.Read(pw)
	s.Password = hex.EncodeToString(pw)
	pwFile := filepath.Join(s.Dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(s.Password+"\n"), 0o600); err != nil {
		return err
	}
	if s.runAs != "" {
		if err := s.chown(pwFile); err != nil {
			return err
		}
	}
	data := filepath.Join(s.Dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", s.User, "--auth-local=trust", "--auth-host=scram-sha-256",
		"--pwfile="+pwFile, "-E", "UTF8", "--no-sync"); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, s.Dir)
	logFile := filepath.Join(s.Dir, "server.log")
	if out, err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", logFile, "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("pgtest: pg_ctl start: %v\n%s\nserver log:\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server at once and removes its directory.
func (s *Server) Stop() error {
	if s == nil || s.stopped {
		return nil
	}
	s.stopped = true
	out, err := s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		err = fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
	}
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// Psql runs one SQL command as the superuser through the Unix socket (e.g. CREATE DATABASE).
func (s *Server) Psql(db, command string) (string, error) {
	out, err := s.run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", s.Dir, "-p", strconv.Itoa(s.Port), "-U", s.User, "-d", db, "-c", command)
	if err != nil {
		return string(out), fmt.Errorf("pgtest: psql %q: %v\n%s", command, err, out)
	}
	return string(out), nil
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, tool)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func (s *Server) chown(path string) error {
	u, err := user.Lookup(s.runAs)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

// binDir is the newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgtest: no PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin): %s", InstallHint)
}

func version(binDir string) int {
	n, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(binDir)), ".")[0])
	return n
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
