package metastore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
	wftasks "github.com/wasmflow/wasmflow/tasks"
)

type commandModel struct {
	ID        int64      `gorm:"column:id;primaryKey"`
	Kind      string     `gorm:"column:kind"`
	DagID     string     `gorm:"column:dag_id"`
	RunID     string     `gorm:"column:run_id"`
	Payload   string     `gorm:"column:payload"`
	Owner     string     `gorm:"column:owner"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	DoneAt    *time.Time `gorm:"column:done_at"`
	Result    string     `gorm:"column:result"`
}

func (commandModel) TableName() string { return "scheduler_command" }

type commandPayload struct {
	TaskIDs    []string         `json:"task_ids,omitempty"`
	MapIndexes map[string][]int `json:"map_indexes,omitempty"`
	OnlyFailed bool             `json:"only_failed,omitempty"`
	State      string           `json:"state,omitempty"`
}

// AddCommand files a command for the running scheduler and returns it with its ID.
func (s *Store) AddCommand(ctx context.Context, c scheduler.Command) (scheduler.Command, error) {
	p, err := json.Marshal(commandPayload{TaskIDs: c.TaskIDs, MapIndexes: c.MapIndexes, OnlyFailed: c.OnlyFailed, State: string(c.State)})
	if err != nil {
		return c, err
	}
	m := commandModel{Kind: c.Kind, DagID: c.DagID, RunID: c.RunID, Payload: string(p), Owner: c.Owner, CreatedAt: now()}
	if err := s.db.WithContext(ctx).Create(&m).Error; err != nil {
		return c, fmt.Errorf("file %s command: %w", c.Kind, err)
	}
	return commandFromModel(m), nil
}

// PendingCommands returns the commands not applied yet, oldest first.
func (s *Store) PendingCommands(ctx context.Context) ([]scheduler.Command, error) {
	var ms []commandModel
	if err := s.rdb.WithContext(ctx).Where("done_at IS NULL").Order("id").Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]scheduler.Command, len(ms))
	for i, m := range ms {
		out[i] = commandFromModel(m)
	}
	return out, nil
}

// GetCommand returns one command, to see whether and how it was applied.
func (s *Store) GetCommand(ctx context.Context, id int64) (scheduler.Command, error) {
	var m commandModel
	err := s.rdb.WithContext(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.Command{}, fmt.Errorf("command %d: %w", id, scheduler.ErrNotFound)
	}
	return commandFromModel(m), err
}

// FinishCommand records that a command was applied, with its outcome.
func (s *Store) FinishCommand(ctx context.Context, id int64, result string) error {
	return s.db.WithContext(ctx).Model(&commandModel{}).Where("id = ?", id).
		Updates(map[string]any{"done_at": now(), "result": result}).Error
}

func commandFromModel(m commandModel) scheduler.Command {
	var p commandPayload
	_ = json.Unmarshal([]byte(m.Payload), &p)
	return scheduler.Command{ID: m.ID, Kind: m.Kind, DagID: m.DagID, RunID: m.RunID, TaskIDs: p.TaskIDs, MapIndexes: p.MapIndexes,
		OnlyFailed: p.OnlyFailed, State: wftasks.TaskInstanceState(p.State), Owner: m.Owner, DoneAt: m.DoneAt, Result: m.Result}
}
