package store

import (
	"context"
	"fmt"
	"time"
)

// Audit actor kinds.
const (
	ActorAdmin    = "admin"
	ActorTelegram = "telegram"
	ActorCLI      = "cli"
	ActorSystem   = "system"
)

// AuditEntry is one row of the append-only audit log. Detail is free text
// or JSON with secrets already masked by the caller.
type AuditEntry struct {
	ID        int64
	Actor     string
	ActorKind string
	Action    string
	Target    string
	Detail    string
	IP        string
	CreatedAt time.Time
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	Actor  string
	Action string
	Since  time.Time
	Until  time.Time
	Limit  int
	Offset int
}

// AppendAudit adds an entry to the audit log.
func (c conn) AppendAudit(ctx context.Context, e AuditEntry) error {
	if _, err := c.exec(ctx, "INSERT INTO audit_log (actor, actor_kind, action, target, detail, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		e.Actor, e.ActorKind, e.Action, e.Target, e.Detail, e.IP, MS(e.CreatedAt)); err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return nil
}

// ListAudit returns entries newest first.
func (c conn) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := "SELECT id, actor, actor_kind, action, target, detail, ip, created_at FROM audit_log WHERE 1=1"
	var args []any
	if f.Actor != "" {
		q += " AND actor = ?"
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += " AND action = ?"
		args = append(args, f.Action)
	}
	if !f.Since.IsZero() {
		q += " AND created_at >= ?"
		args = append(args, MS(f.Since))
	}
	if !f.Until.IsZero() {
		q += " AND created_at < ?"
		args = append(args, MS(f.Until))
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.Actor, &e.ActorKind, &e.Action, &e.Target, &e.Detail, &e.IP, &created); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.CreatedAt = FromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PruneAudit deletes entries older than before (retention).
func (c conn) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := c.exec(ctx, "DELETE FROM audit_log WHERE created_at < ?", MS(before))
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return res.RowsAffected()
}

// GetSetting reads a value from the settings table (ErrNotFound when unset).
func (c conn) GetSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := c.queryRow(ctx, "SELECT value FROM settings WHERE name = ?", name).Scan(&v)
	if err != nil {
		if isNoRows(err) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("get setting %s: %w", name, err)
	}
	return v, nil
}

// PutSetting writes a value to the settings table.
func (c conn) PutSetting(ctx context.Context, name, value string, now time.Time) error {
	res, err := c.exec(ctx, "UPDATE settings SET value = ?, updated_at = ? WHERE name = ?", value, MS(now), name)
	if err != nil {
		return fmt.Errorf("put setting %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = c.exec(ctx, c.d.InsertIgnore("INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)"), name, value, MS(now))
	if err != nil {
		return fmt.Errorf("put setting %s: %w", name, err)
	}
	return nil
}
