package app

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-sql-driver/mysql"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
)

// StoreOptions derives the database connection from the configuration:
// db_dsn when set, otherwise the split fields of the chosen db_type.
func StoreOptions(c *config.Config) store.Options {
	switch c.DBType {
	case "mysql":
		m := c.MySQL
		dsn := c.DBDSN
		if dsn == "" {
			mc := mysql.NewConfig()
			mc.User, mc.Passwd, mc.Net = m.User, m.Passwd, "tcp"
			mc.Addr = net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
			mc.DBName = m.Database
			dsn = mc.FormatDSN()
		}
		return store.Options{Dialect: store.MySQL, DSN: dsn, MaxOpenConns: m.MaxOpenConns, MaxIdleConns: m.MaxIdleConns, MaxLifeTime: m.MaxLifeTime}
	case "postgres":
		p := c.Postgres
		dsn := c.DBDSN
		if dsn == "" {
			u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(p.Host, strconv.Itoa(p.Port)), Path: "/" + p.Database}
			if p.Passwd != "" {
				u.User = url.UserPassword(p.User, p.Passwd)
			} else {
				u.User = url.User(p.User)
			}
			dsn = u.String()
		}
		return store.Options{Dialect: store.Postgres, DSN: dsn, MaxOpenConns: p.MaxOpenConns, MaxIdleConns: p.MaxIdleConns, MaxLifeTime: p.MaxLifeTime}
	}
	path := c.SqliteDatabaseFilename
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.RuntimeDir(), path)
	}
	return store.Options{Dialect: store.SQLite, DSN: path}
}

// OpenStore creates the runtime directory, opens the configured database
// and applies pending migrations.
func OpenStore(ctx context.Context, c *config.Config) (*store.Store, []int, error) {
	if err := os.MkdirAll(c.RuntimeDir(), 0o750); err != nil {
		return nil, nil, fmt.Errorf("create runtime directory: %w", err)
	}
	s, err := store.Open(ctx, StoreOptions(c))
	if err != nil {
		return nil, nil, err
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, applied, nil
}
