package examples

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DemoAPIService is what the demo API's /ready answers as "service": a process finding the
// demo API's port taken tells another wasmflow serving it from a stranger by it.
const DemoAPIService = "wasmflow example API"

// DemoAPI is the HTTP API the example DAGs extract from (test_pipe, example_http), so that
// they run on a fresh clone with no network: wasmflow serves it on loopback while it runs
// tasks (docs/operators.md, "The example DAGs' connections"). Its answers are deterministic:
// the same day always has the same orders, so reruns and backfills load the same rows.
//
//	GET /ready                 {"ready": true, "service": "wasmflow example API"}
//	GET /orders?day=2024-01-01 {"day": "2024-01-01", "orders": [{"id": 20240101001, "customer": "ada", "amount_cents": 4250, "status": "paid"}, ...]}
//	POST /hooks                {"received": 123}: a webhook for example_callbacks, which takes any body (its length answered)
func DemoAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"ready": true, "service": DemoAPIService})
	})
	mux.HandleFunc("POST /hooks", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 1<<20))
		writeJSON(w, map[string]any{"received": n})
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		day, err := time.Parse(time.DateOnly, r.URL.Query().Get("day"))
		if err != nil {
			http.Error(w, fmt.Sprintf("give the day as ?day=YYYY-MM-DD (got %q)", r.URL.Query().Get("day")), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{"day": day.Format(time.DateOnly), "orders": DemoOrders(day)})
	})
	return mux
}

// DemoOrder is one order of the demo API.
type DemoOrder struct {
	ID          int64  `json:"id"`
	Customer    string `json:"customer"`
	AmountCents int    `json:"amount_cents"`
	Status      string `json:"status"` // paid or refunded
}

var demoCustomers = []string{"ada", "grace", "edsger", "barbara", "donald", "frances", "ken"}

// DemoOrders are the orders of a day: three to six, every fifth one refunded, the amounts
// and customers a function of the date alone.
func DemoOrders(day time.Time) []DemoOrder {
	seed := day.Year()*1000 + day.YearDay()
	n := 3 + seed%4
	out := make([]DemoOrder, n)
	for i := range out {
		k := seed*7 + i*13
		out[i] = DemoOrder{
			ID:          int64(day.Year()*10000+int(day.Month())*100+day.Day())*1000 + int64(i+1),
			Customer:    demoCustomers[k%len(demoCustomers)],
			AmountCents: 500 + (k*7919)%24500,
			Status:      "paid",
		}
		if (seed+i)%5 == 0 {
			out[i].Status = "refunded"
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
