package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The tables the service may read and append to but never change: everything else it may
// read and write. goose's and River's bookkeeping of migrations it only reads.
var (
	auditRecordInsertColumns = []string{"chain", "time", "actor", "organisation", "roles", "purpose", "action",
		"outcome", "reason", "council", "young_people", "request_id", "client_address"}
	readOnlyTables = map[string]bool{"goose_db_version": true, "river_migration": true, "audit_heads": true}
)

// GrantApp gives the role the service runs as what it needs of the schema at url, and no
// more (`carepath migrate --app-role`): run it as the role that migrated and owns the tables.
// Ordinary tables and River's: SELECT, INSERT, UPDATE, DELETE. Audit records: SELECT and
// INSERT of a record's columns. Record seals and the seal log: SELECT and INSERT. The queue
// of unsealed records: SELECT and DELETE (a trigger puts records on it, and lets the
// sealer take them off only once sealed). Migration
// bookkeeping: SELECT. Sequences: USAGE. The role owns nothing, so it can neither disable a
// trigger nor alter or drop a table. It is granted again from scratch each time, so tables
// added by later migrations are covered by running it again.
func GrantApp(ctx context.Context, url, role string) error {
	conn, err := connectForMigration(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var super, owns, isMe bool
		err := tx.QueryRow(ctx, `SELECT r.rolsuper, r.rolname = current_user,
			EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = current_schema() AND c.relowner = r.oid)
			FROM pg_roles r WHERE r.rolname = $1`, role).Scan(&super, &isMe, &owns)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("postgres: there is no role %q: create it first (CREATE ROLE ... LOGIN)", role)
		case err != nil:
			return err
		case super || isMe || owns:
			return fmt.Errorf("postgres: the app role %q must not be a superuser, the migrating role, or own tables: "+
				"the service's role must be unable to disable the audit trail's triggers", role)
		}
		return grantApp(ctx, tx, pgx.Identifier{role}.Sanitize())
	})
}

func grantApp(ctx context.Context, tx pgx.Tx, role string) error {
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p') ORDER BY c.relname`)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var schema string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	stmts := []string{`GRANT USAGE ON SCHEMA ` + pgx.Identifier{schema}.Sanitize() + ` TO ` + role}
	for _, table := range tables {
		t := pgx.Identifier{table}.Sanitize()
		stmts = append(stmts, `REVOKE ALL ON `+t+` FROM `+role)
		switch {
		case table == "audit_records":
			stmts = append(stmts, `GRANT SELECT ON `+t+` TO `+role,
				`GRANT INSERT (`+columns(auditRecordInsertColumns)+`) ON `+t+` TO `+role)
		case table == "audit_unsealed":
			stmts = append(stmts, `GRANT SELECT, DELETE ON `+t+` TO `+role)
		case table == "audit_record_seals", table == "audit_seals", table == "plan_action_changes": // appended, never changed
			stmts = append(stmts, `GRANT SELECT, INSERT ON `+t+` TO `+role)
		case readOnlyTables[table]:
			stmts = append(stmts, `GRANT SELECT ON `+t+` TO `+role)
		default:
			stmts = append(stmts, `GRANT SELECT, INSERT, UPDATE, DELETE ON `+t+` TO `+role)
		}
	}
	stmts = append(stmts, `GRANT USAGE ON ALL SEQUENCES IN SCHEMA `+pgx.Identifier{schema}.Sanitize()+` TO `+role)
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("postgres: %s: %w", s, err)
		}
	}
	return nil
}

func columns(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = pgx.Identifier{n}.Sanitize()
	}
	return strings.Join(quoted, ", ")
}

// CanDisableAuditTriggers reports whether the role the store connects as could switch off
// the audit trail's triggers: it is a superuser or owns the audit records.
func (s *Store) CanDisableAuditTriggers(ctx context.Context) (bool, error) {
	var mighty bool
	err := s.pool.QueryRow(ctx, `SELECT r.rolsuper OR c.relowner = r.oid FROM pg_roles r, pg_class c
		WHERE r.rolname = current_user AND c.oid = 'audit_records'::regclass`).Scan(&mighty)
	return mighty, err
}
