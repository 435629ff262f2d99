package metastore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// GridCell is one task instance as the grid view draws it.
type GridCell struct {
	Run       int64 // the run's DagRun.ID: an integer is much cheaper to read than its run_id
	TaskID    string
	State     tasks.TaskInstanceState
	TryNumber int
	Duration  float64
}

// GridCells reads the cells of a DAG's runs whose logical dates lie in [from, to], in one
// query: the grid of 1,000 runs × 100 tasks must not cost a query per run.
//
// Finding the rows costs SQLite little; reading them out costs a few calls into the driver
// per column of each of the 100,000 rows, which was most of the grid's time. So SQLite joins
// each run's cells into one row (group_concat per column, which sees the rows in the same
// order for every column of a group) and they are split here: a thousand rows instead of a
// hundred thousand, about half the time. Task ids cannot hold the separator (the parser
// allows [A-Za-z0-9_.-]); should an old row hold one anyway, the columns do not line up and
// the run is read again row by row.
func (s *Store) GridCells(ctx context.Context, dagID string, from, to time.Time) ([]GridCell, error) {
	join := func(col string) string { // one column of a run's cells, joined by \x1f
		return s.sqlFor("group_concat("+col+", char(31))", "string_agg(CAST("+col+" AS TEXT), chr(31) ORDER BY ti.id)")
	}
	rows, err := s.rdb.WithContext(ctx).Raw(`SELECT r.id, count(*), `+join("ti.task_id")+`, `+join("ti.state")+`,
		`+join("ti.try_number")+`, `+join("ti.duration")+`
		FROM dag_run r JOIN task_instance ti ON ti.dag_id = r.dag_id AND ti.run_id = r.run_id
		WHERE r.dag_id = ? AND r.logical_date >= ? AND r.logical_date <= ? GROUP BY r.id`, dagID, from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GridCell
	var odd []int64              // runs whose cells did not split cleanly
	names := map[string]string{} // one string per task id and state, not one per cell
	intern := func(s string) string {
		if v, ok := names[s]; ok {
			return v
		}
		s = strings.Clone(s) // not a slice of the row's big string, which can then be freed
		names[s] = s
		return s
	}
	for rows.Next() {
		var run int64
		var n int
		var ids, states, tries, durations string
		if err := rows.Scan(&run, &n, &ids, &states, &tries, &durations); err != nil {
			return nil, err
		}
		cols := [4][]string{strings.Split(ids, "\x1f"), strings.Split(states, "\x1f"), strings.Split(tries, "\x1f"), strings.Split(durations, "\x1f")}
		if len(cols[0]) != n || len(cols[1]) != n || len(cols[2]) != n || len(cols[3]) != n {
			odd = append(odd, run)
			continue
		}
		for k := 0; k < n; k++ {
			try, err1 := strconv.Atoi(cols[2][k])
			dur, err2 := strconv.ParseFloat(cols[3][k], 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("grid cell %s of run %d: try %q, duration %q", cols[0][k], run, cols[2][k], cols[3][k])
			}
			out = append(out, GridCell{Run: run, TaskID: intern(cols[0][k]), State: tasks.TaskInstanceState(intern(cols[1][k])), TryNumber: try, Duration: dur})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, run := range odd {
		cells, err := s.gridCellsOfRun(ctx, run)
		if err != nil {
			return nil, err
		}
		out = append(out, cells...)
	}
	return out, nil
}

// gridCellsOfRun reads one run's cells a row each.
func (s *Store) gridCellsOfRun(ctx context.Context, run int64) ([]GridCell, error) {
	rows, err := s.rdb.WithContext(ctx).Raw(`SELECT ti.task_id, ti.state, ti.try_number, ti.duration
		FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id WHERE r.id = ?`, run).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GridCell
	for rows.Next() {
		c := GridCell{Run: run}
		if err := rows.Scan(&c.TaskID, &c.State, &c.TryNumber, &c.Duration); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GridRuns returns a DAG's newest n runs whose logical date is at most before, newest first:
// the rows of the grid, without reading the DAG's other runs, nor conf (up to 1,000 rows of
// up to core.max_conf_size each, which the grid does not show).
func (s *Store) GridRuns(ctx context.Context, dagID string, before time.Time, n int) ([]scheduler.DagRun, error) {
	var ms []dagRunModel
	err := s.rdb.WithContext(ctx).Select(dagRunColumnsWithoutConf).Where("dag_id = ? AND logical_date <= ?", dagID, before.UTC()).
		Order("logical_date DESC, id DESC").Limit(n).Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list the grid's runs of dag %s: %w", dagID, err)
	}
	return dagRunsFromModels(ms, false)
}

// RecentRuns returns the latest perDag runs of each DAG of dagIDs, newest first, without
// their conf, in one query. It reads perDag runs per DAG through the (dag_id, logical_date) index, so a page of
// the DAGs list costs the same however long the DAGs' history (a window function over every
// run, as before, cost a full scan of dag_run and grew with every run ever made).
func (s *Store) RecentRuns(ctx context.Context, dagIDs []string, perDag int) (map[string][]scheduler.DagRun, error) {
	out := map[string][]scheduler.DagRun{}
	if len(dagIDs) == 0 || perDag < 1 {
		return out, nil
	}
	ids, err := json.Marshal(dagIDs) // one parameter however many DAGs: SQLite limits their number
	if err != nil {
		return nil, err
	}
	var ms []dagRunModel
	err = s.rdb.WithContext(ctx).Raw(`SELECT `+prefixed("r.", dagRunColumnsWithoutConf)+` FROM `+
		s.sqlFor(`json_each(?) AS d`, `json_array_elements_text(CAST(? AS json)) AS d(value)`)+`
		JOIN dag_run r ON r.id IN (SELECT x.id FROM dag_run x WHERE x.dag_id = d.value ORDER BY x.logical_date DESC, x.id DESC LIMIT ?)
		ORDER BY r.dag_id, r.logical_date DESC, r.id DESC`, string(ids), perDag).Scan(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("recent runs: %w", err)
	}
	runs, err := dagRunsFromModels(ms, false)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		out[r.DagID] = append(out[r.DagID], r)
	}
	return out, nil
}

// prefixed qualifies each of a comma-separated list of columns with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + c
	}
	return strings.Join(cols, ", ")
}

// PoolUsage is the slots task instances hold in each pool: running and queued.
type PoolUsage struct{ Running, Queued int }

// PoolUsage sums the pool slots of running and queued task instances, by pool.
func (s *Store) PoolUsage(ctx context.Context) (map[string]PoolUsage, error) {
	rows, err := s.rdb.WithContext(ctx).Raw(`SELECT pool, state, CAST(SUM(pool_slots) AS BIGINT) FROM task_instance
		WHERE state IN ('running', 'queued') GROUP BY pool, state`).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]PoolUsage{}
	for rows.Next() {
		var pool, state string
		var n int
		if err := rows.Scan(&pool, &state, &n); err != nil {
			return nil, err
		}
		u := out[pool]
		if state == string(tasks.StateRunning) {
			u.Running += n
		} else {
			u.Queued += n
		}
		out[pool] = u
	}
	return out, rows.Err()
}

// AuditEventCount counts the audit log's rows, for a page's total_entries.
func (s *Store) AuditEventCount(ctx context.Context) (int, error) {
	var n int64
	if err := s.rdb.WithContext(ctx).Model(&logModel{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return int(n), nil
}

// CountTaskInstances counts the task instances in any of states, across every DAG: the
// desktop window asks before quitting while some run, and checks none is left running after.
func (s *Store) CountTaskInstances(ctx context.Context, states ...tasks.TaskInstanceState) (int, error) {
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	var n int64
	err := s.rdb.WithContext(ctx).Model(&taskInstanceModel{}).Where("state IN ?", names).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count task instances: %w", err)
	}
	return int(n), nil
}

// RunCounts counts each DAG of dagIDs' runs by state (Airflow's "Runs" column), in one query
// grouped through the (dag_id, ...) index; a DAG without runs has no entry.
func (s *Store) RunCounts(ctx context.Context, dagIDs []string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	if len(dagIDs) == 0 {
		return out, nil
	}
	rows, err := s.rdb.WithContext(ctx).Raw(`SELECT dag_id, state, COUNT(*) FROM dag_run WHERE dag_id IN ? GROUP BY dag_id, state`, dagIDs).Rows()
	if err != nil {
		return nil, fmt.Errorf("count the runs of %d DAGs by state: %w", len(dagIDs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var dag, state string
		var n int
		if err := rows.Scan(&dag, &state, &n); err != nil {
			return nil, err
		}
		if out[dag] == nil {
			out[dag] = map[string]int{}
		}
		out[dag][state] = n
	}
	return out, rows.Err()
}
