package metastore

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The metastore on PostgreSQL (database.url = postgres://...): GORM's postgres driver over
// pgx, pure Go. The same migrations and queries as on SQLite, but for a few statements that
// each dialect writes its own way (see sqlFor): JSON arrays, string aggregation, case-blind
// LIKE, the catalog.
//
// One pool serves reads and writes (the Store's db and rdb are the same handle): PostgreSQL
// has no single-writer file lock to route around. Several processes, on several machines, may
// use the database at once; write transactions take lockWrites first.

// Pool sizes the connection pool of a metastore on PostgreSQL (database/sql's settings; SQLite
// keeps its one writer and its readers). A zero Pool is DefaultPool.
type Pool struct {
	MaxOpen     int           // connections open at once; negative: no limit
	MaxIdle     int           // connections kept open while idle
	MaxLifetime time.Duration // a connection is closed and replaced after this long; negative: never
}

// DefaultPool is Airflow's: sql_alchemy_pool_size 5 connections kept, up to
// sql_alchemy_max_overflow 10 more under load, each replaced after sql_alchemy_pool_recycle
// 1800 s. Keeping connections matters: a new one costs a server process and a SCRAM login.
var DefaultPool = Pool{MaxOpen: 15, MaxIdle: 5, MaxLifetime: 30 * time.Minute}

// WithPool sizes the PostgreSQL connection pool (database.sql_alchemy_pool_size and friends).
func WithPool(p Pool) Option { return func(o *options) { o.pool = p } }

// connectTimeout bounds each connection attempt when the URL sets no connect_timeout: a
// database that does not answer is reported instead of hanging `wasmflow server`.
const connectTimeout = 10 * time.Second

// writeLockKey is the transaction-level advisory lock every write transaction takes (any
// 64-bit number no other application on the database uses; this is "wasmflow" in ASCII).
const writeLockKey int64 = 0x7761736d666c6f77

// lockWrites takes the metastore's write lock for the rest of tx on PostgreSQL, and does
// nothing on SQLite, whose immediate transactions already hold the database's write lock from
// BEGIN. Under READ COMMITTED two read-then-write transactions (a pool's slots counted, a try's
// calls numbered on, a migration's version read) would otherwise both read the old rows.
// Single statements do not take it: each is atomic on its own.
func lockWrites(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", writeLockKey).Error; err != nil {
		return fmt.Errorf("take the metastore's write lock: %w", err)
	}
	return nil
}

// openPostgres opens the metastore in the PostgreSQL database at url.
func openPostgres(ctx context.Context, url string, o options) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message names the URL with its password replaced by "xxxxx".
		return nil, fmt.Errorf("open metastore: database.url: %w", err)
	}
	where := redactedPostgres(cfg)
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	// Times are stored as timestamptz (an instant); the session's zone only shapes text
	// output, and scanning in UTC gives back what SQLite gives: UTC times.
	cfg.RuntimeParams["timezone"] = "UTC"
	cfg.RuntimeParams["application_name"] = "wasmflow"
	sqlDB := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(scanTimesInUTC))
	pool := o.pool
	if pool == (Pool{}) {
		pool = DefaultPool
	}
	sqlDB.SetMaxOpenConns(max(pool.MaxOpen, 0)) // database/sql: 0 is no limit
	sqlDB.SetMaxIdleConns(pool.MaxIdle)
	sqlDB.SetConnMaxLifetime(max(pool.MaxLifetime, 0))
	// pgx caches each statement's plan per connection already: no PrepareStmt on top.
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gormConfig(o, false))
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open metastore %s: %w", where, err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open metastore %s: %w (check database.url, and that the server runs and the database exists: createdb -O %s %s)",
			where, err, cfg.User, cfg.Database)
	}
	if !o.noMigrate {
		if err := migrateTo(ctx, db, LatestSchemaVersion); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("open metastore %s: %w", where, err)
		}
	}
	return &Store{db: db, rdb: db, dialect: PostgreSQL, where: where}, nil
}

// scanTimesInUTC has pgx read timestamptz values as UTC times, not local ones.
func scanTimesInUTC(_ context.Context, conn *pgx.Conn) error {
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	return nil
}

// redactedPostgres names a database for messages and logs: postgres://user@host:port/db, never
// the password.
func redactedPostgres(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if cfg.Port != 0 {
		host = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	return "postgres://" + cfg.User + "@" + host + "/" + cfg.Database
}

// ServerVersion is the database server's version, for `wasmflow db check`: "SQLite 3.41.2" or
// "PostgreSQL 15.8".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	q := "SELECT 'SQLite ' || sqlite_version()"
	if s.dialect == PostgreSQL {
		q = "SELECT 'PostgreSQL ' || current_setting('server_version')"
	}
	if err := s.rdb.WithContext(ctx).Raw(q).Scan(&v).Error; err != nil {
		return "", fmt.Errorf("read the server version of %s: %w", s.where, err)
	}
	return v, nil
}

// resetPostgres drops every table of the database's current schema, then migrates it again.
func (s *Store) resetPostgres(ctx context.Context) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		var tables []string
		if err := tx.Raw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").
			Scan(&tables).Error; err != nil {
			return err
		}
		for _, t := range tables {
			// CASCADE drops the foreign keys pointing at t, not other tables' rows.
			if err := tx.Exec("DROP TABLE IF EXISTS ? CASCADE", clause.Table{Name: t}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = migrateTo(ctx, s.db, LatestSchemaVersion)
	}
	if err != nil {
		return fmt.Errorf("reset metastore %s: %w", s.where, err)
	}
	return nil
}

// sqlFor picks the dialect's spelling of a statement, or of a part of one, that SQLite and
// PostgreSQL write differently.
func (s *Store) sqlFor(sqlite, postgres string) string {
	if s.dialect == PostgreSQL {
		return postgres
	}
	return sqlite
}

// schedulerLockKey is the session-level advisory lock LockScheduler holds (writeLockKey + 1).
const schedulerLockKey = writeLockKey + 1

// LockScheduler takes the PostgreSQL metastore's scheduler lock, the database-wide twin of a
// SQLite home's scheduler.lock: one scheduler drives the database's runs at a time, whichever
// machine it is on. It is an advisory lock held by a connection of its own until release, or
// until the server drops that connection (the process died, kill -9 included). ok is false when
// another process holds it. On SQLite it answers ok without locking anything: the home's file
// lock is the lock there.
func (s *Store) LockScheduler(ctx context.Context) (release func(), ok bool, err error) {
	if s.dialect != PostgreSQL {
		return func() {}, true, nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, false, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("take the scheduler lock of %s: %w", s.where, err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", schedulerLockKey).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			err = fmt.Errorf("take the scheduler lock of %s: %w", s.where, err)
		}
		return nil, false, err
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", schedulerLockKey)
		conn.Close()
	}, true, nil
}
