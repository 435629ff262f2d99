package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/wasmflow/wasmflow/app"
)

// The DAG editor's endpoints: DAG files and task modules in the DAGs folder (app/authoring.go).

func (s *Server) validateDagFile(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var body struct {
		Path    string  `json:"path"`
		Content *string `json:"content"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.Content == nil {
		return nil, badRequest(`send {"path": "my_dag.yaml", "content": "<the DAG file's YAML>"}; path is optional`)
	}
	out, err := s.app.ValidateDagFile(r.Context(), body.Path, []byte(*body.Content))
	if err != nil {
		return authoringError(w, err)
	}
	return out, nil
}

func (s *Server) getDagFile(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	out, err := s.app.ReadDagFile(r.Context(), r.PathValue("path"))
	if err != nil {
		return authoringError(w, err)
	}
	return out, nil
}

func (s *Server) putDagFile(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var body struct {
		Content    *string `json:"content"`
		BaseSHA256 string  `json:"base_sha256"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if body.Content == nil {
		return nil, badRequest(`send {"content": "<the DAG file's YAML>", "base_sha256": "<the sha256 it was read with, or \"\" to create it>"}`)
	}
	out, err := s.app.SaveDagFile(r.Context(), p.actor(), r.PathValue("path"), []byte(*body.Content), body.BaseSHA256)
	if err != nil {
		return authoringError(w, err)
	}
	if out.Created {
		return created{out}, nil
	}
	return out, nil
}

func (s *Server) listModules(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	out, err := s.app.ListModules(r.Context(), r.URL.Query().Get("relative_to"))
	if err != nil {
		return authoringError(w, err)
	}
	return moduleList{Modules: out, Examples: s.app.ExampleModules()}, nil
}

// importExampleModule copies one of the example DAGs' modules into the DAGs folder, as an
// upload of its bytes would.
func (s *Server) importExampleModule(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	out, isNew, err := s.app.ImportExampleModule(r.Context(), p.actor(), r.PathValue("name"))
	if err != nil {
		return authoringError(w, err)
	}
	if isNew {
		return created{out}, nil
	}
	return out, nil
}

// uploadModule takes a module's raw bytes, not JSON: its route's body cap is app.MaxModuleBytes.
func (s *Server) uploadModule(w http.ResponseWriter, r *http.Request, p principal) (any, error) {
	name := r.URL.Query().Get("name")
	if name == "" {
		return nil, badRequest("give the module's file name: POST /api/v1/modules?name=transform.wasm with the module's bytes as the body")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/wasm" && mt != "application/octet-stream" {
			return nil, badRequest("send the module's raw bytes with Content-Type application/wasm (or application/octet-stream), not %s", ct)
		}
	}
	tooLarge := &httpError{http.StatusRequestEntityTooLarge, "the module is larger than 64 MiB, the most that can be imported: build it smaller (e.g. with -ldflags=\"-s -w\"), or copy it into the DAGs folder yourself"}
	if r.ContentLength > app.MaxModuleBytes {
		return nil, tooLarge
	}
	wasm, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, badRequest("read the module: %v", err)
	}
	out, isNew, err := s.app.ImportModule(r.Context(), p.actor(), name, wasm)
	if err != nil {
		return authoringError(w, err)
	}
	if isNew {
		return created{out}, nil
	}
	return out, nil
}

// detailedProblem is a problem with what the editor needs to act on it: a 422's problems, a
// 409's current_sha256.
type detailedProblem struct {
	problem
	Problems      []app.FileProblem `json:"problems,omitempty"`
	CurrentSHA256 *string           `json:"current_sha256,omitempty"`
}

// authoringError answers what the authoring functions refuse with its status, writing the
// bodies that carry more than a detail itself.
func authoringError(w http.ResponseWriter, err error) (any, error) {
	var invalid *app.InvalidDagFileError
	var stale *app.StaleFileError
	out := detailedProblem{problem: problem{Detail: err.Error(), Type: "about:blank"}}
	switch {
	case errors.As(err, &invalid):
		out.Status, out.Problems = http.StatusUnprocessableEntity, invalid.Problems
	case errors.As(err, &stale):
		out.Status, out.CurrentSHA256 = http.StatusConflict, &stale.CurrentSHA256
	case errors.Is(err, app.ErrTooLarge):
		return nil, &httpError{http.StatusRequestEntityTooLarge, err.Error()}
	case errors.Is(err, app.ErrInvalid):
		return nil, &httpError{http.StatusBadRequest, err.Error()}
	default:
		return nil, err
	}
	out.Title = http.StatusText(out.Status)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(out.Status)
	_ = json.NewEncoder(w).Encode(out)
	return nil, nil
}

// allowBody lets the route added last read a body of up to n bytes, instead of JSON's cap.
func (s *Server) allowBody(n int64) { s.routes[len(s.routes)-1].maxBody = n }
