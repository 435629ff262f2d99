package metastore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wasmflow/wasmflow/scheduler"
)

// dagParseColumns are the dag columns a parse of the DAG file owns. SyncDag overwrites only
// these on an existing DAG: is_paused belongs to the user, next_dagrun* to the scheduler.
var dagParseColumns = []string{
	"description", "fileloc", "source_hash", "is_active", "schedule", "timezone", "tags",
	"owners", "catchup", "max_active_runs", "max_active_tasks", "last_parsed_time",
}

// SyncDag records a parsed DAG and its source in one transaction. A new DAG starts paused when
// pausedOnCreate; an existing DAG keeps its paused flag and its next run, and becomes active
// again. An empty SourceHash is computed from source; a zero LastParsedTime means now.
func (s *Store) SyncDag(ctx context.Context, d scheduler.Dag, source []byte, pausedOnCreate bool) error {
	if d.DagID == "" {
		return errors.New("sync dag: empty dag_id")
	}
	now := now()
	sum := sha256.Sum256(source)
	hash := hex.EncodeToString(sum[:])
	if d.SourceHash == "" {
		d.SourceHash = hash
	}
	if d.LastParsedTime.IsZero() {
		d.LastParsedTime = now
	}
	m, err := dagToModel(d)
	if err != nil {
		return fmt.Errorf("sync dag %s: %w", d.DagID, err)
	}
	m.IsPaused = pausedOnCreate
	m.IsActive = true
	code := dagCodeModel{DagID: d.DagID, Fileloc: d.Fileloc, SourceHash: hash, Source: string(source), LastUpdated: now}
	// ON CONFLICT DO UPDATE, never INSERT OR REPLACE: a replace deletes the row first, and the
	// delete would cascade to every run of the DAG.
	err = s.write(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "dag_id"}},
			DoUpdates: clause.AssignmentColumns(dagParseColumns),
		}).Create(&m).Error
		if err != nil {
			return err
		}
		if err := syncDatasetRefs(tx, d, now); err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "dag_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"fileloc", "source_hash", "source", "last_updated"}),
		}).Create(&code).Error
	})
	if err != nil {
		return fmt.Errorf("sync dag %s: %w", d.DagID, err)
	}
	return nil
}

// DeactivateDags marks every active DAG whose fileloc is under folder (folder "" means every
// DAG; a relative folder is taken from the working directory, as filelocs are absolute) and
// whose dag_id is not in keep as inactive, and returns the dag_ids it deactivated, sorted.
// Runs and task instances are kept.
func (s *Store) DeactivateDags(ctx context.Context, folder string, keep []string) ([]string, error) {
	if folder != "" && !filepath.IsAbs(folder) {
		abs, err := filepath.Abs(folder) // filelocs are absolute
		if err != nil {
			return nil, fmt.Errorf("deactivate dags under %q: %w", folder, err)
		}
		folder = abs
	}
	var gone []string
	err := s.write(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&dagModel{}).Where("is_active = ?", true)
		if folder != "" {
			folder = filepath.Clean(folder)
			prefix := folder
			if !strings.HasSuffix(prefix, string(filepath.Separator)) {
				prefix += string(filepath.Separator)
			}
			// substr, not LIKE: a path may hold '%' or '_'.
			q = q.Where("fileloc = ? OR substr(fileloc, 1, length(CAST(? AS TEXT))) = ?", folder, prefix, prefix)
		}
		var ids []string
		if err := q.Order("dag_id").Pluck("dag_id", &ids).Error; err != nil {
			return err
		}
		keepSet := make(map[string]bool, len(keep))
		for _, id := range keep {
			keepSet[id] = true
		}
		for _, id := range ids {
			if !keepSet[id] {
				gone = append(gone, id)
			}
		}
		for chunk := range slices.Chunk(gone, 500) {
			err := tx.Model(&dagModel{}).Where("dag_id IN ?", chunk).Update("is_active", false).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deactivate dags under %q: %w", folder, err)
	}
	return gone, nil
}

// GetDag returns one DAG, active or not.
func (s *Store) GetDag(ctx context.Context, dagID string) (scheduler.Dag, error) {
	var m dagModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ?", dagID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.Dag{}, notFound("dag %q", dagID)
	}
	if err != nil {
		return scheduler.Dag{}, fmt.Errorf("get dag %s: %w", dagID, err)
	}
	return dagFromModel(m)
}

// DagOrderColumns are the orders ListDags takes, by Airflow's names (a DAG's REST fields).
var DagOrderColumns = map[string]string{
	"dag_id": "dag_id", "description": "description", "fileloc": "fileloc", "is_paused": "is_paused", "is_active": "is_active",
	"owners": "owners", "timezone": "timezone", "max_active_runs": "max_active_runs", "max_active_tasks": "max_active_tasks",
	"last_parsed_time": "last_parsed_time", "next_dagrun": "next_dagrun",
	"next_dagrun_data_interval_start": "next_dagrun_data_interval_start",
	"next_dagrun_data_interval_end":   "next_dagrun_data_interval_end", "next_dagrun_create_after": "next_dagrun_create_after",
}

// dagsWhere is the query of the DAGs f selects, without its order and page.
func (s *Store) dagsWhere(ctx context.Context, f scheduler.DagFilter) *gorm.DB {
	q := s.rdb.WithContext(ctx).Model(&dagModel{})
	if f.DagIDPattern != "" {
		// SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's needs ILIKE.
		q = q.Where(`dag_id `+s.sqlFor("LIKE", "ILIKE")+` ? ESCAPE '\'`, "%"+escapeLike(f.DagIDPattern)+"%")
	}
	if len(f.Tags) > 0 {
		q = q.Where("EXISTS (SELECT 1 FROM "+s.sqlFor("json_each(dag.tags) AS t", "json_array_elements_text(CAST(dag.tags AS json)) AS t(value)")+
			" WHERE t.value IN ?)", f.Tags)
	}
	if f.Paused != nil {
		q = q.Where("is_paused = ?", *f.Paused)
	}
	if f.OnlyActive {
		q = q.Where("is_active = ?", true)
	}
	return q
}

// CountDags is how many DAGs f selects, whatever its page.
func (s *Store) CountDags(ctx context.Context, f scheduler.DagFilter) (int, error) {
	var n int64
	if err := s.dagsWhere(ctx, f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count dags: %w", err)
	}
	return int(n), nil
}

// ListDags returns the page of DAGs that match f, ordered by f.OrderBy (dag_id by default,
// which also breaks ties). DagIDPattern is a case-insensitive substring; Tags matches a DAG
// with any of them.
func (s *Store) ListDags(ctx context.Context, f scheduler.DagFilter) ([]scheduler.Dag, error) {
	col := "dag_id"
	if f.OrderBy != "" {
		var ok bool
		if col, ok = DagOrderColumns[f.OrderBy]; !ok {
			return nil, fmt.Errorf("list dags: no order %q", f.OrderBy)
		}
	}
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	q := s.dagsWhere(ctx, f).Order(col + dir)
	if col != "dag_id" {
		q = q.Order("dag_id" + dir)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	var ms []dagModel
	if err := q.Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list dags: %w", err)
	}
	dags := make([]scheduler.Dag, 0, len(ms))
	for _, m := range ms {
		d, err := dagFromModel(m)
		if err != nil {
			return nil, err
		}
		dags = append(dags, d)
	}
	return dags, nil
}

// escapeLike escapes LIKE's wildcards so s matches literally (with ESCAPE '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetPaused pauses or unpauses a DAG.
func (s *Store) SetPaused(ctx context.Context, dagID string, paused bool) error {
	res := s.db.WithContext(ctx).Model(&dagModel{}).Where("dag_id = ?", dagID).Update("is_paused", paused)
	if res.Error != nil {
		return fmt.Errorf("set paused of dag %s: %w", dagID, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("dag %q", dagID)
	}
	return nil
}

// SetNextDagrun records the scheduler's next planned run of a DAG: NextDagrun,
// NextDataIntervalStart, NextDataIntervalEnd and NextDagrunCreateAfter of d (nil = none).
// The other fields of d are ignored.
func (s *Store) SetNextDagrun(ctx context.Context, d scheduler.Dag) error {
	res := s.db.WithContext(ctx).Model(&dagModel{}).Where("dag_id = ?", d.DagID).Updates(map[string]any{
		"next_dagrun":                     utcPtr(d.NextDagrun),
		"next_dagrun_data_interval_start": utcPtr(d.NextDataIntervalStart),
		"next_dagrun_data_interval_end":   utcPtr(d.NextDataIntervalEnd),
		"next_dagrun_create_after":        utcPtr(d.NextDagrunCreateAfter),
	})
	if res.Error != nil {
		return fmt.Errorf("set next dagrun of dag %s: %w", d.DagID, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("dag %q", d.DagID)
	}
	return nil
}

// DagSource returns the source of the DAG's file as last synced.
func (s *Store) DagSource(ctx context.Context, dagID string) ([]byte, error) {
	var m dagCodeModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ?", dagID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound("source of dag %q", dagID)
	}
	if err != nil {
		return nil, fmt.Errorf("get source of dag %s: %w", dagID, err)
	}
	return []byte(m.Source), nil
}

// SetImportError records the import error of a file, replacing any earlier one.
func (s *Store) SetImportError(ctx context.Context, filename, message string) error {
	m := importErrorModel{Filename: filename, Timestamp: now(), Message: message}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "filename"}},
		DoUpdates: clause.AssignmentColumns([]string{"timestamp", "message"}),
	}).Create(&m).Error
	if err != nil {
		return fmt.Errorf("set import error of %s: %w", filename, err)
	}
	return nil
}

// ClearImportError removes the import error of a file; a file without one is not an error.
func (s *Store) ClearImportError(ctx context.Context, filename string) error {
	if err := s.db.WithContext(ctx).Where("filename = ?", filename).Delete(&importErrorModel{}).Error; err != nil {
		return fmt.Errorf("clear import error of %s: %w", filename, err)
	}
	return nil
}

// ListImportErrors returns every import error, ordered by filename.
func (s *Store) ListImportErrors(ctx context.Context) ([]scheduler.ImportError, error) {
	var ms []importErrorModel
	if err := s.rdb.WithContext(ctx).Order("filename").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	out := make([]scheduler.ImportError, len(ms))
	for i, m := range ms {
		out[i] = scheduler.ImportError{ID: m.ID, Filename: m.Filename, Timestamp: m.Timestamp, Message: m.Message}
	}
	return out, nil
}

func dagToModel(d scheduler.Dag) (dagModel, error) {
	tags := d.Tags
	if tags == nil {
		tags = []string{}
	}
	b, err := json.Marshal(tags)
	if err != nil {
		return dagModel{}, fmt.Errorf("encode tags: %w", err)
	}
	var parsed *time.Time
	if !d.LastParsedTime.IsZero() {
		t := d.LastParsedTime.UTC()
		parsed = &t
	}
	return dagModel{
		DagID: d.DagID, Description: d.Description, Fileloc: d.Fileloc, SourceHash: d.SourceHash,
		IsPaused: d.IsPaused, IsActive: d.IsActive, Schedule: d.Schedule, Timezone: d.Timezone,
		Tags: string(b), Owners: d.Owners, Catchup: d.Catchup, MaxActiveRuns: d.MaxActiveRuns,
		MaxActiveTasks: d.MaxActiveTasks, LastParsedTime: parsed,
		NextDagrun:                  utcPtr(d.NextDagrun),
		NextDagrunDataIntervalStart: utcPtr(d.NextDataIntervalStart),
		NextDagrunDataIntervalEnd:   utcPtr(d.NextDataIntervalEnd),
		NextDagrunCreateAfter:       utcPtr(d.NextDagrunCreateAfter),
	}, nil
}

func dagFromModel(m dagModel) (scheduler.Dag, error) {
	tags := []string{}
	if m.Tags != "" {
		if err := json.Unmarshal([]byte(m.Tags), &tags); err != nil {
			return scheduler.Dag{}, fmt.Errorf("decode tags of dag %s: %w", m.DagID, err)
		}
	}
	d := scheduler.Dag{
		DagID: m.DagID, Description: m.Description, Fileloc: m.Fileloc, SourceHash: m.SourceHash,
		IsPaused: m.IsPaused, IsActive: m.IsActive, Schedule: m.Schedule, Timezone: m.Timezone,
		Tags: tags, Owners: m.Owners, Catchup: m.Catchup, MaxActiveRuns: m.MaxActiveRuns,
		MaxActiveTasks: m.MaxActiveTasks, NextDagrun: m.NextDagrun,
		NextDataIntervalStart: m.NextDagrunDataIntervalStart,
		NextDataIntervalEnd:   m.NextDagrunDataIntervalEnd,
		NextDagrunCreateAfter: m.NextDagrunCreateAfter,
	}
	if m.LastParsedTime != nil {
		d.LastParsedTime = *m.LastParsedTime
	}
	return d, nil
}
