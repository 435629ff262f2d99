package api

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// The file_token of a DAG's answers names its source for GET /dagSources/{file_token}: the
// DAG id, signed with the server's key, so a client can neither forge one nor name a path
// (the source read is the one the metastore recorded at the DAG's last good parse).

const fileTokenPurpose = "dag source"

func (s *Server) fileToken(dagID string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(dagID))
	return payload + "." + s.sign.mac(fileTokenPurpose, payload)
}

// dagOfFileToken is the DAG a file token names; false when it is not one this server signed.
func (s *Server) dagOfFileToken(token string) (string, bool) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign.mac(fileTokenPurpose, payload))) != 1 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	return string(b), err == nil
}

type dagSourceJSON struct {
	Content string `json:"content"`
}

// dagSource is Airflow's GET /dagSources/{file_token}: the DAG file, as text/plain, or as
// {"content": ...} when the request's Accept prefers JSON.
func (s *Server) dagSource(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	dagID, ok := s.dagOfFileToken(r.PathValue("file_token"))
	if !ok {
		return nil, notFound("file_token %q is not one this server gave: take it from a DAG's file_token (GET /api/v1/dags)", r.PathValue("file_token"))
	}
	if _, err := s.app.GetDag(r.Context(), dagID); err != nil {
		return nil, err
	}
	b, err := s.app.Store.DagSource(r.Context(), dagID)
	if err != nil {
		return nil, err
	}
	if wantsJSON(r) {
		return dagSourceJSON{Content: string(b)}, nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(b)
	return nil, nil
}
