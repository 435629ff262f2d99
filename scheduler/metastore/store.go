package metastore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/wasmflow/wasmflow/scheduler"
)

var (
	_ scheduler.DagStore   = (*Store)(nil)
	_ scheduler.AdminStore = (*Store)(nil)
)

// dsnParams are the connection settings every connection gets (DESIGN.md, "SQLite"). WAL lets
// readers run beside the writer; _txlock=immediate makes every transaction take the write
// lock at BEGIN, so a read-then-write transaction waits (busy_timeout) instead of failing
// with "database is locked (517)" when another writer got there first. Never add
// _time_format: the driver stops parsing the parameters after it, dropping _txlock silently.
//
// journal_size_limit truncates the -wal file to walLimit whenever SQLite restarts the log, so
// the file does not keep the size of its largest burst; see checkpointWAL for the rest.
const dsnParams = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(8388608)&_txlock=immediate"

// walLimit is the size of the -wal file past which the store checkpoints it (the 8388608 of
// journal_size_limit in dsnParams), and walCheckEvery how often it looks.
const (
	walLimit      = 8 << 20
	walCheckEvery = 500 * time.Millisecond
)

// Store is the metastore: scheduler.DagStore and scheduler.AdminStore, plus the runs, tries
// and module blobs, on one SQLite file or one PostgreSQL database. It is safe for concurrent
// use, and several processes may open the same database.
//
// On SQLite, writes go through a single connection, so writers in this process queue in Go
// instead of spinning on SQLite's lock; reads use a pool of read-only connections that WAL lets
// run beside the writer. Other processes' writers are waited for with busy_timeout. On
// PostgreSQL one pool serves both (postgres.go).
type Store struct {
	db      *gorm.DB // the writer: one connection, every write, immediate transactions
	rdb     *gorm.DB // readers: query_only connections, or db itself (PostgreSQL, SingleConnection)
	dialect Dialect
	path    string     // the SQLite file; "" on PostgreSQL
	where   string     // the database for messages: the file, or a URL without its password
	key     *SecretKey // seals connection secrets; nil: connections cannot be used
	// stopWAL ends checkpointWAL, which closes walDone when it returns.
	stopWAL, walDone chan struct{}
}

// Option configures Open.
type Option func(*options)

type options struct {
	sqlLog    io.Writer
	noMigrate bool
	pool      Pool
	oneConn   bool
}

// WithoutMigrations opens an existing metastore as it is: nothing is created or migrated, so
// Check can report a database that is missing or older than this wasmflow.
func WithoutMigrations() Option { return func(o *options) { o.noMigrate = true } }

// SingleConnection makes the Store read through its writer's one connection instead of a pool
// of read-only ones, for a process that runs one command and exits (the CLI). Each SQLite
// connection reads and parses the whole schema when it opens (about a millisecond, more in a
// fresh process), which such a process pays two or three times over for reads it makes one
// at a time anyway. A server keeps the pool: there, reads run beside the writer.
func SingleConnection() Option { return func(o *options) { o.oneConn = true } }

// WithSQLLog writes every SQL statement and its duration to w (for debugging). By default the
// metastore logs nothing.
func WithSQLLog(w io.Writer) Option { return func(o *options) { o.sqlLog = w } }

// Open opens the metastore at url and applies pending migrations; a database from a newer
// wasmflow is refused untouched. url is a SQLite file path, "sqlite:///abs/path" or
// "sqlite://rel/path" ("sqlite3://" works too), whose file and directory are created if
// needed, or "postgres://user:password@host:5432/db" ("postgresql://" too), whose database
// must exist.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	d, err := DialectOf(url)
	if err != nil {
		return nil, err
	}
	if d == PostgreSQL {
		return openPostgres(ctx, url, o)
	}
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	if o.noMigrate {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no metastore at %s: create it with `wasmflow db init`", path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open metastore: %w", err)
	} else if err := createOwnerOnly(path); err != nil {
		return nil, fmt.Errorf("open metastore: %w", err)
	}
	s := &Store{dialect: SQLite, path: path, where: path}
	if s.db, err = openDB(path, "", o); err != nil {
		return nil, err
	}
	if o.noMigrate {
		// nothing to apply: Check says whether the schema is current
	} else if err := migrateTo(ctx, s.db, LatestSchemaVersion); err != nil {
		_ = closeDB(s.db)
		return nil, fmt.Errorf("open metastore %s: %w", path, err)
	}
	if o.oneConn {
		s.rdb = s.db
	} else if s.rdb, err = openDB(path, "&_pragma=query_only(1)", o); err != nil {
		_ = closeDB(s.db)
		return nil, err
	}
	if err := s.boundWALAfterWrites(); err != nil {
		_ = closeDB(s.db)
		_ = closeDB(s.rdb)
		return nil, fmt.Errorf("open metastore %s: %w", path, err)
	}
	s.stopWAL, s.walDone = make(chan struct{}), make(chan struct{})
	go s.checkpointWAL()
	return s, nil
}

// checkpointWAL keeps the -wal file near walLimit until Close. SQLite checkpoints on its own
// every 1000 pages, but that checkpoint never waits, and under load some reader is always in
// the log, so it never restarts: the file grew to many times the database (90 MB for 5 MB).
// Past walLimit a TRUNCATE checkpoint holds new writes back until the readers are on the last
// snapshot (milliseconds: reads are short), copies the log into the database and empties it.
// One that gives up (busy past busy_timeout) is tried again at the next look.
func (s *Store) checkpointWAL() {
	defer close(s.walDone)
	tick := time.NewTicker(walCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stopWAL:
			return
		case <-tick.C:
		}
		s.boundWAL() // also when no write comes after one that gave up (busy)
	}
}

// fileMode is the mode of a metastore file wasmflow creates: it holds Variables, password
// hashes and every XCom, so only its owner may read it. SQLite creates the -wal and -shm
// files with the database file's mode.
const fileMode os.FileMode = 0o600

// createOwnerOnly creates an empty database file with fileMode when there is none, so SQLite
// opens it instead of creating it with its own default (0644, less the umask). An existing
// file is left as it is.
func createOwnerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// schemeRE matches the scheme of a URL; a Windows drive ("C:\...") has no "//" and is a path.
var schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*)://`)

// Dialect is the database engine a metastore is on.
type Dialect string

const (
	SQLite     Dialect = "sqlite"
	PostgreSQL Dialect = "postgres"
)

// DialectOf says which engine a database URL (database.url) names, without connecting: a path
// or sqlite:// is SQLite, postgres:// or postgresql:// is PostgreSQL, anything else an error.
func DialectOf(url string) (Dialect, error) {
	m := schemeRE.FindStringSubmatch(url)
	switch {
	case m == nil, strings.EqualFold(m[1], "sqlite"), strings.EqualFold(m[1], "sqlite3"):
		return SQLite, nil
	case strings.EqualFold(m[1], "postgres"), strings.EqualFold(m[1], "postgresql"):
		return PostgreSQL, nil
	}
	// Name only the scheme: the rest of a database URL may hold a password.
	return "", fmt.Errorf("open metastore: %q databases are not supported: use a SQLite file path "+
		"(or sqlite:///abs/path.db) or postgres://user:password@host:5432/db", m[1])
}

// Dialect is the engine the Store is on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Shared reports whether the metastore is a database server's, which processes of other homes
// and machines may use at once (PostgreSQL), rather than one home's file (SQLite), whose
// scheduler the home's file lock guards (app: lock_unix.go). The app decides from it which
// lock keeps schedulers apart (App.lockScheduling).
func (s *Store) Shared() bool { return s.dialect == PostgreSQL }

// sqlitePath turns Open's url into a file path.
func sqlitePath(url string) (string, error) {
	path := url
	if m := schemeRE.FindStringSubmatch(url); m != nil {
		path = url[len(m[0]):] // sqlite:///abs -> /abs, sqlite://rel -> rel
		if runtime.GOOS == "windows" && len(path) > 2 && path[0] == '/' && path[2] == ':' {
			path = path[1:] // sqlite:///C:/x.db -> C:/x.db
		}
	}
	switch {
	case path == "":
		return "", errors.New("open metastore: empty database path")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return "", fmt.Errorf("open metastore %q: give a file path: the metastore must be a file "+
			"that every wasmflow process can open", path)
	case strings.ContainsAny(path, "?#"):
		return "", fmt.Errorf("open metastore %q: the path may not contain '?' or '#' "+
			"(connection settings are fixed by wasmflow)", path)
	}
	return filepath.Clean(path), nil
}

// openDB opens one GORM handle on path with dsnParams plus extra; extra "" is the writer.
func openDB(path, extra string, o options) (*gorm.DB, error) {
	// The writer runs the same few statements thousands of times a second under load;
	// preparing each once saves about a tenth of the scheduler's CPU.
	db, err := gorm.Open(sqlite.Open(path+"?"+dsnParams+extra), gormConfig(o, extra == ""))
	if err != nil {
		return nil, fmt.Errorf("open metastore %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open metastore %s: %w", path, err)
	}
	n := 1
	if extra != "" {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n) // keep them: each new connection runs the pragmas again
	return db, nil
}

// gormConfig is the GORM configuration of every handle, on either dialect.
func gormConfig(o options, prepare bool) *gorm.Config {
	lg := logger.Discard
	if o.sqlLog != nil {
		lg = logger.New(log.New(o.sqlLog, "", log.LstdFlags|log.Lmicroseconds), logger.Config{
			SlowThreshold: 200 * time.Millisecond, LogLevel: logger.Info,
		})
	}
	return &gorm.Config{
		Logger:                 lg,
		NowFunc:                now,
		TranslateError:         true, // unique and foreign key violations as gorm errors
		SkipDefaultTransaction: true, // single statements need none; the rest use s.write
		PrepareStmt:            prepare,
	}
}

func closeDB(db *gorm.DB) error {
	if db == nil {
		return nil
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Path is the SQLite file the Store uses; "" on PostgreSQL.
func (s *Store) Path() string { return s.path }

// Where names the database for messages: the SQLite file, or the PostgreSQL URL without its
// password.
func (s *Store) Where() string { return s.where }

// Close closes every connection. A Store must not be used after Close.
func (s *Store) Close() error {
	if s.stopWAL != nil {
		close(s.stopWAL)
		<-s.walDone
		s.stopWAL = nil
	}
	readers := s.rdb
	if readers == s.db { // PostgreSQL (one pool) or SingleConnection
		readers = nil
	}
	if err := errors.Join(closeDB(readers), closeDB(s.db)); err != nil {
		return fmt.Errorf("close metastore %s: %w", s.where, err)
	}
	return nil
}

// Check reports whether the metastore is reachable and its schema is the one this build
// expects (for health checks and `wasmflow db check`).
func (s *Store) Check(ctx context.Context) error {
	for _, db := range []*gorm.DB{s.db, s.rdb} {
		sqlDB, err := db.DB()
		if err == nil {
			err = sqlDB.PingContext(ctx)
		}
		if err != nil {
			return fmt.Errorf("check metastore %s: %w", s.where, err)
		}
	}
	if !s.rdb.WithContext(ctx).Migrator().HasTable("schema_version") {
		// A PostgreSQL database made with createdb, or a SQLite file of something else.
		return fmt.Errorf("check metastore %s: it holds no wasmflow schema: create it with `wasmflow db migrate`", s.where)
	}
	v, err := s.SchemaVersion(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("check metastore %s: %w", s.where, err)
	case v > LatestSchemaVersion:
		return fmt.Errorf("check metastore %s: %w", s.where, errNewerSchema(v))
	case v < LatestSchemaVersion:
		return fmt.Errorf("check metastore %s: schema version %d is older than %d, which this "+
			"wasmflow needs: run `wasmflow db migrate` (or open it again with this wasmflow) to migrate it", s.where, v, LatestSchemaVersion)
	}
	return nil
}

// SchemaVersion returns the version of the last migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.rdb.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Reset drops every table, history included, and migrates the empty database to the latest
// schema (`wasmflow db reset`).
func (s *Store) Reset(ctx context.Context) error {
	if s.dialect == PostgreSQL {
		return s.resetPostgres(ctx)
	}
	err := s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		// foreign_keys cannot change inside a transaction, and with it on each DROP would
		// first delete (and cascade) every row.
		if err := conn.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
			return err
		}
		defer conn.Exec("PRAGMA foreign_keys = ON")
		return conn.Transaction(func(tx *gorm.DB) error {
			var tables []string
			err := tx.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").
				Scan(&tables).Error
			if err != nil {
				return err
			}
			for _, t := range tables {
				if err := tx.Exec("DROP TABLE ?", clause.Table{Name: t}).Error; err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("reset metastore %s: %w", s.where, err)
	}
	if err := migrateTo(ctx, s.db, LatestSchemaVersion); err != nil {
		return fmt.Errorf("reset metastore %s: %w", s.where, err)
	}
	return nil
}

// write runs fn in an immediate transaction on the writer connection. fn must use only tx.
// On PostgreSQL the transaction first takes the metastore's write lock (lockWrites), which
// gives read-then-write transactions the same one-writer-at-a-time view as SQLite's.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockWrites(tx); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		s.boundWAL()
	}
	return err
}

// boundWALAfterWrites has every statement that writes outside a transaction (most of the
// Store's writes are single statements on s.db) call boundWAL once it committed; a
// transaction's statements are bounded by write after its commit instead.
func (s *Store) boundWALAfterWrites() error {
	after := func(db *gorm.DB) {
		if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); db.Error == nil && !inTx {
			s.boundWAL()
		}
	}
	cb := s.db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:commit_or_rollback_transaction").Register("wasmflow:bound_wal", after),
		cb.Update().After("gorm:commit_or_rollback_transaction").Register("wasmflow:bound_wal", after),
		cb.Delete().After("gorm:commit_or_rollback_transaction").Register("wasmflow:bound_wal", after),
		cb.Raw().After("gorm:raw").Register("wasmflow:bound_wal", after),
	} {
		if err != nil {
			return fmt.Errorf("register the WAL bound: %w", err)
		}
	}
	return nil
}

// boundWAL checkpoints the -wal file once it is past walLimit. It runs on the writer right after
// each write, so a burst of writes cannot outgrow the log between two looks of checkpointWAL (a
// timer a busy machine runs late); the stat costs microseconds against the commit's fsync.
func (s *Store) boundWAL() {
	if s.dialect != SQLite {
		return
	}
	if fi, err := os.Stat(s.path + "-wal"); err != nil || fi.Size() <= walLimit {
		return
	}
	var busy, frames, copied int
	_ = s.db.Raw("PRAGMA wal_checkpoint(TRUNCATE)").Row().Scan(&busy, &frames, &copied)
}

// now is the time the store stamps rows with: in UTC, to the microsecond, which is all
// PostgreSQL's timestamptz keeps, so what a write returns equals what a read gives back on
// either dialect.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// notFound wraps scheduler.ErrNotFound with what was looked for.
func notFound(what string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(what, args...), scheduler.ErrNotFound)
}
