package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// BenchmarkHostHTTP measures a granted HTTP GET made by a module (the hostio fixture through
// sdk.HTTPClient and the host's http_request) against the same GET from plain Go, side by side
// against one loopback server in the same run. Each iteration: n GETs from plain Go on one
// keep-alive client; a try making n GETs (the host pools its connections per try) and a try
// making none, whose difference is n module calls without the try's own cost. Target (issue 12):
// module ≤ 1.5 × plain + 200 µs per call.
func BenchmarkHostHTTP(b *testing.B) {
	const n = 100
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items":[1,2,3],"next":null}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	r := newRunner(b, Config{})
	mod := goModule(b, "hostio")
	var hostT time.Duration
	try := func(calls int) time.Duration {
		res, err := r.Run(ctx, Try{Module: mod, ModuleSHA256: Digest(mod), TaskID: "get", Args: []string{"gets", srv.URL + "/v1/items", strconv.Itoa(calls)},
			Grants: Grants{AllowHosts: []string{srv.Listener.Addr().String()}}, Timeout: time.Minute, Log: io.Discard})
		if err != nil || res.State != StateSuccess || len(res.Calls) != calls {
			b.Fatalf("%v %+v", err, res)
		}
		for _, c := range res.Calls {
			hostT += c.Duration
		}
		return res.Duration
	}
	try(1) // compile
	plain := &http.Client{}
	get := func() {
		resp, err := plain.Get(srv.URL + "/v1/items")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()

	var plainT, modT time.Duration
	hostT = 0
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		for range n {
			get()
		}
		plainT += time.Since(t0)
		modT += try(n) - try(0)
	}
	calls := float64(b.N * n)
	plainUS := float64(plainT.Nanoseconds()) / 1e3 / calls
	modUS := float64(modT.Nanoseconds()) / 1e3 / calls
	b.ReportMetric(plainUS, "plain-µs/call")
	b.ReportMetric(modUS, "module-µs/call")
	b.ReportMetric(modUS-plainUS, "overhead-µs/call")
	b.ReportMetric(float64(hostT.Nanoseconds())/1e3/calls, "host-µs/call")
	b.ReportMetric(modUS/plainUS, "module/plain")
	b.ReportMetric(modUS/(1.5*plainUS+200), "of-target")
}
