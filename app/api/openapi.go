package api

import (
	"cmp"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/app"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openapi describes the API from the route table that serves it, so the two cannot drift:
// every path, method, parameter, role and auth scheme.
func (s *Server) openapi(http.ResponseWriter, *http.Request, principal) (any, error) {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
			"operationId": operationID(rt),
			"responses": map[string]any{
				strconv.Itoa(cmp.Or(rt.answer.status, http.StatusOK)): rt.answer.describe(),
				"400": problemResponse("Bad request: the detail says what is wrong"),
				"404": problemResponse("Not found"),
			},
		}
		if rt.role > Public {
			op["description"] = "Needs the " + rt.role.String() + " role (Viewer < User < Op < Admin)."
			op["security"] = []map[string][]string{{"session": {}}, {"bearer": {}}, {"basic": {}}}
			resp := op["responses"].(map[string]any)
			resp["401"] = problemResponse("No or bad credentials")
			resp["403"] = problemResponse("Role too low, or a session request without X-CSRF-Token")
		} else {
			op["security"] = []map[string][]string{}
		}
		var params []map[string]any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		if rt.method == http.MethodGet && strings.HasSuffix(rt.summary, "s") || strings.HasPrefix(rt.summary, "List") {
			for _, q := range []string{"limit", "offset"} {
				params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]string{"type": "integer"}})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.method == http.MethodPost || rt.method == http.MethodPatch {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]string{"type": "object"}}}}
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "wasmflow API", "version": app.Version,
			"description": "Airflow's stable REST paths and JSON names where one exists; see docs/api.md."},
		"servers": []map[string]string{{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"session": map[string]string{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			"bearer":  map[string]string{"type": "http", "scheme": "bearer"},
			"basic":   map[string]string{"type": "http", "scheme": "basic"},
		}},
	}, nil
}

// describe is the OpenAPI response of a route's success.
func (a answer) describe() map[string]any {
	out := map[string]any{"description": http.StatusText(cmp.Or(a.status, http.StatusOK))}
	switch {
	case a.body != nil:
		out["content"] = map[string]any{a.contentType: map[string]any{"schema": schemaOf(a.body)}}
		if a.dryRun != nil {
			out["description"] = "OK; with dry_run, the task instances it would change: " + mustJSON(schemaOf(a.dryRun))
		}
		if a.alsoText != "" {
			out["content"].(map[string]any)[a.alsoText] = map[string]any{"schema": map[string]string{"type": "string"}}
		}
	case a.contentType != "":
		out["content"] = map[string]any{a.contentType: map[string]any{"schema": map[string]string{"type": "string"}}}
	}
	return out
}

// problemResponse is an error response: Airflow's problem JSON.
func problemResponse(description string) map[string]any {
	return map[string]any{"description": description,
		"content": map[string]any{"application/problem+json": map[string]any{"schema": schemaOf(reflect.TypeFor[problem]())}}}
}

func operationID(rt route) string {
	words := strings.Fields(strings.NewReplacer(",", "", "'", "", "(", "", ")", "", "×", "").Replace(rt.summary))
	for i, w := range words {
		if i > 0 && w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		} else {
			words[i] = strings.ToLower(w)
		}
	}
	return strings.Join(words, "")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
