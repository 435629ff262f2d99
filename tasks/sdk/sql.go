package sdk

// Rows is what a query returned: the column names and each row's values, as JSON decodes them
// (numbers are float64 unless they came from an integer column and fit one exactly: see
// Int), text is a string, bytes that are not UTF-8 are base64 text, NULL is nil.
type Rows struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

type sqlRequest struct {
	ConnID    string `json:"conn_id"`
	Statement string `json:"statement"`
	Args      []any  `json:"args,omitempty"`
}

// Query runs a query on a granted sqlite or postgres connection, with args bound to its
// parameters ($1, $2 for postgres; ? or $1 for sqlite), never spliced into the text.
//
//	rows, err := sdk.Query("warehouse", "SELECT id, name FROM users WHERE id > $1", 10)
func Query(connID, statement string, args ...any) (*Rows, error) {
	var out Rows
	if err := call("sql_query", sqlRequest{connID, statement, args}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Exec runs a statement that returns no rows and says how many rows it affected.
func Exec(connID, statement string, args ...any) (int64, error) {
	var out struct {
		RowsAffected int64 `json:"rows_affected"`
	}
	if err := call("sql_exec", sqlRequest{connID, statement, args}, &out); err != nil {
		return 0, err
	}
	return out.RowsAffected, nil
}

// Int is a numeric value of a row as an int64 (JSON gives float64).
func Int(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
