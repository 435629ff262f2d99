// Command hostio is the runtime tests' Go guest for granted I/O: each subcommand makes host
// calls through tasks/sdk and prints what it got, or the error and exit code 3.
//
// Built by the tests (runtime/fixtures_test.go) into a temporary directory:
//
//	GOOS=wasip1 GOARCH=wasm go build -o hostio.wasm ./runtime/testdata/hostio
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: hostio get|post|gets|query|exec|secret|raw ARGS...")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "get": // get URL [URL...]: one GET each, in order
		for _, u := range args {
			get(u)
		}
	case "post": // post URL BODY
		resp, err := sdk.HTTPClient().Post(args[0], "text/plain", strings.NewReader(args[1]))
		check(err)
		show(resp)
	case "gets": // gets URL N: N GETs, for the benchmark
		n, _ := strconv.Atoi(args[1])
		c := sdk.HTTPClient()
		for range n {
			resp, err := c.Get(args[0])
			check(err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		fmt.Println("done", n)
	case "query": // query CONN SQL [ARG...]: each ARG is JSON, or a string if it is not
		rows, err := sdk.Query(args[0], args[1], jsonArgs(args[2:])...)
		check(err)
		b, _ := json.Marshal(rows)
		fmt.Printf("rows=%s\n", b)
	case "exec": // exec CONN SQL [ARG...]
		n, err := sdk.Exec(args[0], args[1], jsonArgs(args[2:])...)
		check(err)
		fmt.Printf("affected=%d\n", n)
	case "raw": // raw http_request|sql_query JSON: the ABI without the SDK (raw.go)
		raw(args[0], args[1])
	case "secret": // secret CONN
		s, err := sdk.Secret(args[0])
		check(err)
		fmt.Printf("login=%s password=%s extra=%s\n", s.Login, s.Password, s.Extra)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", cmd)
		os.Exit(2)
	}
}

func get(u string) {
	resp, err := sdk.HTTPClient().Get(u)
	check(err)
	show(resp)
}

func show(resp *http.Response) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	check(err)
	fmt.Printf("status=%d body=%s\n", resp.StatusCode, b)
}

func jsonArgs(in []string) []any {
	out := make([]any, len(in))
	for i, a := range in {
		var v any
		if json.Unmarshal([]byte(a), &v) != nil {
			v = a
		}
		out[i] = v
	}
	return out
}

// check prints a host call's error with what kind it is, and exits 3.
func check(err error) {
	if err == nil {
		return
	}
	fmt.Printf("error denied=%t limit=%t: %v\n", errors.Is(err, sdk.ErrDenied), errors.Is(err, sdk.ErrLimit), err)
	os.Exit(3)
}
