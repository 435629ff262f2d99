package metastore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wasmflow/wasmflow/scheduler"
)

// SetVariable creates or replaces a variable.
func (s *Store) SetVariable(ctx context.Context, v scheduler.Variable) error {
	if v.Key == "" {
		return errors.New("set variable: empty key")
	}
	m := variableModel{Key: v.Key, Val: v.Value, Description: v.Description}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"val", "description"}),
	}).Create(&m).Error
	if err != nil {
		return fmt.Errorf("set variable %s: %w", v.Key, err)
	}
	return nil
}

// GetVariable returns one variable.
func (s *Store) GetVariable(ctx context.Context, key string) (scheduler.Variable, error) {
	var m variableModel
	err := s.rdb.WithContext(ctx).Where("key = ?", key).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.Variable{}, notFound("variable %q", key)
	}
	if err != nil {
		return scheduler.Variable{}, fmt.Errorf("get variable %s: %w", key, err)
	}
	return scheduler.Variable{Key: m.Key, Value: m.Val, Description: m.Description}, nil
}

// ListVariables returns every variable, ordered by key.
func (s *Store) ListVariables(ctx context.Context) ([]scheduler.Variable, error) {
	var ms []variableModel
	if err := s.rdb.WithContext(ctx).Order("key").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list variables: %w", err)
	}
	out := make([]scheduler.Variable, len(ms))
	for i, m := range ms {
		out[i] = scheduler.Variable{Key: m.Key, Value: m.Val, Description: m.Description}
	}
	return out, nil
}

// DeleteVariable deletes a variable; a missing one is ErrNotFound.
func (s *Store) DeleteVariable(ctx context.Context, key string) error {
	res := s.db.WithContext(ctx).Where("key = ?", key).Delete(&variableModel{})
	if res.Error != nil {
		return fmt.Errorf("delete variable %s: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("variable %q", key)
	}
	return nil
}

// SetPool creates a pool or changes its slots and description. Slots is at least 0, or -1
// for a pool without limit (Airflow's convention).
func (s *Store) SetPool(ctx context.Context, p scheduler.Pool) error {
	if p.Name == "" {
		return errors.New("set pool: empty name")
	}
	if p.Slots < -1 {
		return fmt.Errorf("set pool %s: slots is %d, want 0 or more (-1 for no limit)", p.Name, p.Slots)
	}
	m := poolModel{Pool: p.Name, Slots: p.Slots, Description: p.Description}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "pool"}},
		DoUpdates: clause.AssignmentColumns([]string{"slots", "description"}),
	}).Create(&m).Error
	if err != nil {
		return fmt.Errorf("set pool %s: %w", p.Name, err)
	}
	return nil
}

// GetPool returns one pool.
func (s *Store) GetPool(ctx context.Context, name string) (scheduler.Pool, error) {
	var m poolModel
	err := s.rdb.WithContext(ctx).Where("pool = ?", name).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.Pool{}, notFound("pool %q", name)
	}
	if err != nil {
		return scheduler.Pool{}, fmt.Errorf("get pool %s: %w", name, err)
	}
	return scheduler.Pool{Name: m.Pool, Slots: m.Slots, Description: m.Description}, nil
}

// ListPools returns every pool, default_pool included, ordered by name.
func (s *Store) ListPools(ctx context.Context) ([]scheduler.Pool, error) {
	var ms []poolModel
	if err := s.rdb.WithContext(ctx).Order("pool").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list pools: %w", err)
	}
	out := make([]scheduler.Pool, len(ms))
	for i, m := range ms {
		out[i] = scheduler.Pool{Name: m.Pool, Slots: m.Slots, Description: m.Description}
	}
	return out, nil
}

// DeletePool deletes a pool; default_pool cannot be deleted, and a missing pool is ErrNotFound.
func (s *Store) DeletePool(ctx context.Context, name string) error {
	if name == scheduler.DefaultPool {
		return fmt.Errorf("delete pool %s: %s cannot be deleted (every task without a pool uses it); "+
			"change its slots instead", name, scheduler.DefaultPool)
	}
	res := s.db.WithContext(ctx).Where("pool = ?", name).Delete(&poolModel{})
	if res.Error != nil {
		return fmt.Errorf("delete pool %s: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("pool %q", name)
	}
	return nil
}

// validRoles are the roles CreateUser accepts.
var validRoles = map[string]bool{
	scheduler.RoleViewer: true, scheduler.RoleUser: true, scheduler.RoleOp: true, scheduler.RoleAdmin: true,
}

// CreateUser adds a user and returns it with its ID (and CreatedAt, now if zero). A duplicate
// username is an error that says the user exists.
func (s *Store) CreateUser(ctx context.Context, u scheduler.User) (scheduler.User, error) {
	if u.Username == "" {
		return scheduler.User{}, errors.New("create user: empty username")
	}
	if !validRoles[u.Role] {
		return scheduler.User{}, fmt.Errorf("create user %s: role %q is not one of %s, %s, %s, %s",
			u.Username, u.Role, scheduler.RoleViewer, scheduler.RoleUser, scheduler.RoleOp, scheduler.RoleAdmin)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	m := userModel{
		Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: u.Role, PasswordHash: u.PasswordHash, Active: u.Active,
		CreatedAt: u.CreatedAt.UTC(), LastLogin: utcPtr(u.LastLogin),
	}
	err := s.db.WithContext(ctx).Create(&m).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return scheduler.User{}, fmt.Errorf("create user %s: user %q already exists", u.Username, u.Username)
	}
	if err != nil {
		return scheduler.User{}, fmt.Errorf("create user %s: %w", u.Username, err)
	}
	return userFromModel(m), nil
}

// GetUser returns one user by username.
func (s *Store) GetUser(ctx context.Context, username string) (scheduler.User, error) {
	var m userModel
	err := s.rdb.WithContext(ctx).Where("username = ?", username).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.User{}, notFound("user %q", username)
	}
	if err != nil {
		return scheduler.User{}, fmt.Errorf("get user %s: %w", username, err)
	}
	return userFromModel(m), nil
}

// ListUsers returns every user, ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]scheduler.User, error) {
	var ms []userModel
	if err := s.rdb.WithContext(ctx).Order("username").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]scheduler.User, len(ms))
	for i, m := range ms {
		out[i] = userFromModel(m)
	}
	return out, nil
}

// DeleteUser deletes a user; a missing one is ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	res := s.db.WithContext(ctx).Where("username = ?", username).Delete(&userModel{})
	if res.Error != nil {
		return fmt.Errorf("delete user %s: %w", username, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("user %q", username)
	}
	return nil
}

func userFromModel(m userModel) scheduler.User {
	return scheduler.User{
		ID: m.ID, Username: m.Username, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName,
		Role: m.Role, PasswordHash: m.PasswordHash, Active: m.Active, CreatedAt: m.CreatedAt,
		LastLogin: m.LastLogin,
	}
}

// AddAuditEvent appends one row to the audit log; a zero When means now.
func (s *Store) AddAuditEvent(ctx context.Context, e scheduler.AuditEvent) error {
	if e.Event == "" {
		return errors.New("add audit event: empty event")
	}
	if e.When.IsZero() {
		e.When = now()
	}
	m := logModel{
		Dttm: e.When.UTC(), Event: e.Event, Owner: e.Owner, DagID: e.DagID, RunID: e.RunID,
		TaskID: e.TaskID, Extra: e.Extra,
	}
	if err := s.db.WithContext(ctx).Create(&m).Error; err != nil {
		return fmt.Errorf("add audit event %s: %w", e.Event, err)
	}
	return nil
}

// ListAuditEvents returns the newest limit events, newest first; limit <= 0 means all.
func (s *Store) ListAuditEvents(ctx context.Context, limit int) ([]scheduler.AuditEvent, error) {
	q := s.rdb.WithContext(ctx).Order("dttm DESC, id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var ms []logModel
	if err := q.Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	out := make([]scheduler.AuditEvent, len(ms))
	for i, m := range ms {
		out[i] = scheduler.AuditEvent{
			ID: m.ID, When: m.Dttm, Event: m.Event, Owner: m.Owner, DagID: m.DagID, RunID: m.RunID,
			TaskID: m.TaskID, Extra: m.Extra,
		}
	}
	return out, nil
}

// SetLastLogin records when a user last logged in.
func (s *Store) SetLastLogin(ctx context.Context, username string, at time.Time) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&userModel{}).Where("username = ?", username).Update("last_login", at.UTC()).Error
	})
}
