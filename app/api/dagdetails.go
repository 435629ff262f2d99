package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// paramJSON is one param as Airflow's DAG details show it (its Param.dump()): every param,
// a plain value too, is a Param there, with an empty schema.
type paramJSON struct {
	Class       string         `json:"__class"`
	Value       any            `json:"value"` // null when the param has no default
	Description *string        `json:"description"`
	Schema      map[string]any `json:"schema"`
}

// dagDetails is Airflow's DAGDetail: the DAG with what its file says beyond the listing.
type dagDetails struct {
	dagJSON
	Params               orderedParams `json:"params"`
	StartDate            *time.Time    `json:"start_date"`
	EndDate              *time.Time    `json:"end_date"`
	DocMD                *string       `json:"doc_md"`
	IsPausedUponCreation *bool         `json:"is_paused_upon_creation"`
}

func (s *Server) getDagDetails(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ctx := r.Context()
	dagID := r.PathValue("dag_id")
	d, err := s.app.GetDag(ctx, dagID)
	if err != nil {
		return nil, err
	}
	out := dagDetails{dagJSON: s.newDagJSON(d)}
	parsed, err := s.app.ParsedDag(ctx, dagID)
	if err != nil {
		return nil, err
	}
	for _, name := range parsed.ParamNames() {
		out.Params = append(out.Params, namedParam{name, paramOf(parsed.ParamSpecs[name])})
	}
	out.StartDate, out.EndDate, out.IsPausedUponCreation = parsed.StartDate, parsed.EndDate, parsed.IsPausedUponCreation
	if parsed.DocMD != "" {
		out.DocMD = &parsed.DocMD
	}
	return out, nil
}

// orderedParams writes the params as a JSON object in the file's order, which the trigger
// form keeps (a Go map would be written sorted by name).
type orderedParams []namedParam

type namedParam struct {
	name  string
	param paramJSON
}

func (ps orderedParams) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(p.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(p.param)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func paramOf(p tasks.Param) paramJSON {
	out := paramJSON{Class: "airflow.models.param.Param", Value: p.Value, Schema: p.Schema}
	if out.Schema == nil {
		out.Schema = map[string]any{}
	}
	if p.Description != "" {
		out.Description = &p.Description
	}
	return out
}
