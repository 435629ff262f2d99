package metastore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// sealed returns the row of c, its password and extra sealed with the Store's secret key.
func (s *Store) sealed(c tasks.Connection) (connectionModel, error) {
	if c.ConnID == "" {
		return connectionModel{}, errors.New("empty conn_id")
	}
	if s.key == nil {
		return connectionModel{}, errNoSecretKey
	}
	m := connectionModel{ConnID: c.ConnID, ConnType: c.ConnType, Description: c.Description, Host: c.Host,
		Schema: c.Schema, Login: c.Login, Port: c.Port}
	var err error
	if m.Password, err = s.key.seal(c.Password, c.ConnID, "password"); err != nil {
		return m, err
	}
	m.Extra, err = s.key.seal(c.Extra, c.ConnID, "extra")
	return m, err
}

// AddConnection creates a connection; a conn_id taken is ErrExists (checked by the insert
// itself, so of two creations at once one fails rather than one overwriting the other).
func (s *Store) AddConnection(ctx context.Context, c tasks.Connection) error {
	m, err := s.sealed(c)
	if err != nil {
		return fmt.Errorf("add connection %s: %w", c.ConnID, err)
	}
	err = s.db.WithContext(ctx).Create(&m).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("connection %q %w", c.ConnID, scheduler.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add connection %s: %w", c.ConnID, err)
	}
	return nil
}

// SetConnection creates or replaces a connection, its password and extra sealed with the
// Store's secret key.
func (s *Store) SetConnection(ctx context.Context, c tasks.Connection) error {
	m, err := s.sealed(c)
	if err != nil {
		return fmt.Errorf("set connection %s: %w", c.ConnID, err)
	}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "conn_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"conn_type", "description", "host", "schema", "login",
			"password", "port", "extra"}),
	}).Create(&m).Error
	if err != nil {
		return fmt.Errorf("set connection %s: %w", c.ConnID, err)
	}
	return nil
}

// GetConnection returns one connection with its secrets decrypted.
func (s *Store) GetConnection(ctx context.Context, connID string) (tasks.Connection, error) {
	var m connectionModel
	err := s.rdb.WithContext(ctx).Where("conn_id = ?", connID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return tasks.Connection{}, notFound("connection %q", connID)
	}
	if err != nil {
		return tasks.Connection{}, fmt.Errorf("get connection %s: %w", connID, err)
	}
	return s.connection(m)
}

// ListConnections returns every connection, by conn_id, with their secrets decrypted.
func (s *Store) ListConnections(ctx context.Context) ([]tasks.Connection, error) {
	var ms []connectionModel
	if err := s.rdb.WithContext(ctx).Order("conn_id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	out := make([]tasks.Connection, len(ms))
	for i, m := range ms {
		c, err := s.connection(m)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// ConnectionIDs returns the set of defined conn_ids, without opening any secret: what the DAG
// parser checks grants against.
func (s *Store) ConnectionIDs(ctx context.Context) (map[string]bool, error) {
	var ids []string
	if err := s.rdb.WithContext(ctx).Model(&connectionModel{}).Pluck("conn_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list conn_ids: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// DeleteConnection deletes a connection; a missing one is ErrNotFound.
func (s *Store) DeleteConnection(ctx context.Context, connID string) error {
	res := s.db.WithContext(ctx).Where("conn_id = ?", connID).Delete(&connectionModel{})
	if res.Error != nil {
		return fmt.Errorf("delete connection %s: %w", connID, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("connection %q", connID)
	}
	return nil
}

func (s *Store) connection(m connectionModel) (tasks.Connection, error) {
	c := tasks.Connection{ConnID: m.ConnID, ConnType: m.ConnType, Description: m.Description, Host: m.Host,
		Port: m.Port, Schema: m.Schema, Login: m.Login}
	if m.Password == "" && m.Extra == "" {
		return c, nil
	}
	if s.key == nil {
		return c, fmt.Errorf("get connection %s: %w", m.ConnID, errNoSecretKey)
	}
	var err error
	if c.Password, err = s.key.open(m.Password, m.ConnID, "password"); err != nil {
		return c, err
	}
	if c.Extra, err = s.key.open(m.Extra, m.ConnID, "extra"); err != nil {
		return c, err
	}
	return c, nil
}
