package api

import (
	"net/http"

	"github.com/wasmflow/wasmflow/tasks/operators"
)

// operatorInfo is a built-in operator as the DAG editor offers it: its field table, and whether
// this server's binary has its module (a plain `go build` does not).
type operatorInfo struct {
	*operators.Operator
	Built bool `json:"built"`
}

// listOperators answers GET /api/v1/operators: what `operator:` may name, with the fields of
// each (as `wasmflow operators list -o json`).
func (s *Server) listOperators(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	all := operators.All()
	out := make([]operatorInfo, len(all))
	for i, o := range all {
		out[i] = operatorInfo{o, operators.Built(o.Name)}
	}
	from, to := p.slice(len(out))
	return map[string]any{"operators": out[from:to], "total_entries": len(out)}, nil
}
