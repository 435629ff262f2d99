// Command sql is the module of the built-in operator `operator: sql` (Airflow's
// SQLExecuteQueryOperator): it runs one statement on a granted sqlite or postgres connection
// through the host (sdk.Query, sdk.Exec: the host holds the connection and binds the
// parameters) and pushes a query's rows, or the rows a statement affected, as the
// return_value XCom.
//
// Built with GOOS=wasip1 GOARCH=wasm by `make operators`.
package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/tasks/operators/guest"
	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() { guest.Main("sql", run) }

func run(in guest.Input) ([]byte, error) {
	conn, stmt := in.Fields["conn_id"], in.Fields["sql"]
	var params []string
	if p := in.Fields["parameters"]; p != "" {
		if err := json.Unmarshal([]byte(p), &params); err != nil {
			return nil, fmt.Errorf("parameters: %w", err)
		}
	}
	args := make([]any, len(params))
	for i, p := range params {
		args[i] = p
	}
	if in.Operator == "sql_sensor" {
		return nil, poke(conn, stmt, args)
	}
	if !returnsRows(stmt) {
		n, err := sdk.Exec(conn, stmt, args...)
		if err != nil {
			return nil, fmt.Errorf("sql on %s: %w", conn, err)
		}
		sdk.Logf("%d rows affected", n)
		return []byte(strconv.FormatInt(n, 10)), nil
	}
	rows, err := sdk.Query(conn, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("sql on %s: %w", conn, err)
	}
	sdk.Logf("%d rows (columns %s)", len(rows.Rows), strings.Join(rows.Columns, ", "))
	if rows.Rows == nil {
		rows.Rows = [][]any{}
	}
	return json.Marshal(rows.Rows)
}

// poke is sql_sensor's verdict, as Airflow's SqlSensor: met when the first row's first cell is
// truthy; no row, NULL, 0, false, "" or "0" is not yet.
func poke(conn, stmt string, args []any) error {
	rows, err := sdk.Query(conn, stmt, args...)
	if err != nil {
		return fmt.Errorf("sql on %s: %w", conn, err)
	}
	if len(rows.Rows) == 0 || len(rows.Rows[0]) == 0 {
		return fmt.Errorf("%w: the query returned no row", guest.ErrNotYet)
	}
	if cell := rows.Rows[0][0]; !truthy(cell) {
		return fmt.Errorf("%w: the first cell is %v", guest.ErrNotYet, cell)
	}
	sdk.Logf("the first cell is %v: met", rows.Rows[0][0])
	return nil
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case int64:
		return v != 0
	case string:
		return v != "" && v != "0"
	}
	return true
}

// returnsRows tells a query from a statement by its first word (after comments), as a
// database client does: SELECT, WITH, VALUES, PRAGMA, SHOW, EXPLAIN, or anything with a
// RETURNING clause, answer rows.
func returnsRows(stmt string) bool {
	s := strings.TrimSpace(stmt)
	for strings.HasPrefix(s, "--") || strings.HasPrefix(s, "/*") {
		if strings.HasPrefix(s, "--") {
			_, s, _ = strings.Cut(s, "\n")
		} else {
			_, s, _ = strings.Cut(s, "*/")
		}
		s = strings.TrimSpace(s)
	}
	lower := strings.ToLower(s)
	word := lower
	if end := strings.IndexFunc(lower, func(r rune) bool { return r < 'a' || r > 'z' }); end >= 0 {
		word = lower[:end]
	}
	switch word {
	case "select", "with", "values", "pragma", "show", "explain", "table":
		return true
	}
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool { return r < 'a' || r > 'z' }) {
		if w == "returning" {
			return true
		}
	}
	return false
}
