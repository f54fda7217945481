package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// Migration brings a store from Version-1 to Version. Up runs inside the migrating
// transaction; it may look at tx.Dialect() to write each database's statements.
type Migration struct {
	Version int
	Up      func(ctx context.Context, tx *Tx) error
}

// Stmts is a Migration's Up that runs CREATE TABLE statements written for SQLite, each through
// Dialect.DDL.
func Stmts(stmts ...string) func(context.Context, *Tx) error {
	return func(ctx context.Context, tx *Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, tx.Dialect().DDL(s)); err != nil {
				return err
			}
		}
		return nil
	}
}

// ErrNewer is the refusal to use a store a newer bulk has migrated past what this one knows.
type ErrNewer struct{ Found, Known int }

func (e *ErrNewer) Error() string {
	return fmt.Sprintf("it was written by a newer bulk (schema version %d; this bulk knows up to %d): use that bulk, or upgrade this one", e.Found, e.Known)
}

// Migrate brings db to the last of ms (in Version order, from 1), recording the version in a
// schema_version table, in one transaction: two processes opening an old store at once
// migrate it once (SQLite: the transaction takes the write lock; PostgreSQL: a transaction
// advisory lock named after the schema). A store at a version newer than ms's last is refused
// with *ErrNewer: this bulk does not know what those versions changed.
func Migrate(ctx context.Context, db *DB, ms []Migration) error {
	last := 0
	for i, m := range ms {
		if m.Version != i+1 {
			return fmt.Errorf("migration %d is numbered %d", i+1, m.Version) // a bug in bulk
		}
		last = m.Version
	}
	// The common case, every open after the first: one read, no write lock. A store not yet
	// migrated has no table, and the read fails: the slow path below says what is wrong.
	var v int
	if err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err == nil {
		if v == last {
			return nil
		}
		if v > last {
			return &ErrNewer{Found: v, Known: last}
		}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.dialect == Postgres {
		// CREATE SCHEMA / TABLE IF NOT EXISTS race in PostgreSQL (two creators, one unique
		// violation): migrations of one database take turns. hashtext is PostgreSQL's own.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('bulk schema migration'))`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgIdent(db.schema)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	v = 0
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_version`)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if v > last {
		return &ErrNewer{Found: v, Known: last}
	}
	if v == last && n == 1 {
		return tx.Commit()
	}
	for _, m := range ms[v:] {
		if err := m.Up(ctx, tx); err != nil {
			return fmt.Errorf("schema version %d: %w", m.Version, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, last); err != nil {
		return err
	}
	return tx.Commit()
}

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
