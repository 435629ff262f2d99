package sdk

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// The hand-written codec must agree with encoding/json, which the host uses.
func TestHTTPCodec(t *testing.T) {
	req := httpRequest{Method: "POST", ConnID: "api", Path: "/v1/é?q=\"x\"&t=\t",
		Headers: http.Header{"X-A": {"1", "two <&> \u2028"}, "Content-Type": {"text/plain"}}, Body: []byte("\x00\xffbody")}
	var got, want httpRequest
	if err := json.Unmarshal(appendHTTPRequest(nil, &req), &got); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(req)
	json.Unmarshal(b, &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request: got %+v, want %+v", got, want)
	}
	if s := string(appendJSONString(nil, "a\xffb")); s != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8: %s", s)
	}

	for _, resp := range []httpResponse{
		{Status: 200, Headers: http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"a=1", "b=\"2\" \U0001F600 <x>"}}, Body: []byte(`{"items":[1]}`)},
		{Status: 204, Headers: http.Header{}},
		{Status: 500},
	} {
		b, _ := json.MarshalIndent(resp, "", " ")
		var fast, slow httpResponse
		d := jsonScanner{b: b}
		if err := d.response(&fast); err != nil {
			t.Errorf("fast decoder refused %s: %v", b, err)
		}
		json.Unmarshal(b, &slow)
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("fast decoder: got %+v, want %+v", fast, slow)
		}
	}
	var r httpResponse
	if err := decodeHTTPResponse([]byte(`{"status":201,"extra":true}`), &r); err != nil || r.Status != 201 {
		t.Errorf("fallback: %+v %v", r, err)
	}
}

// TestHTTPResponseDecodeAllocs: the decoder reads keys and base64 bodies in place, names the
// common headers without a copy and puts all values in one string and one array, so a typical
// response costs the map, those two and the body: 6 allocations where it took 17, then 8 with a
// string per value (in a module each costs microseconds, and a task may make many calls).
func TestHTTPResponseDecodeAllocs(t *testing.T) {
	in := []byte(`{"status":200,"headers":{"Content-Length":["29"],"Content-Type":["application/json"],` +
		`"Date":["Wed, 02 Dec 2026 17:11:36 GMT"]},"body":"eyJpdGVtcyI6WzEsMiwzXSwibmV4dCI6bnVsbH0="}`)
	var r httpResponse
	if err := decodeHTTPResponse(in, &r); err != nil || string(r.Body) != `{"items":[1,2,3],"next":null}` || r.Headers.Get("Date") == "" {
		t.Fatalf("decode = %+v, %v", r, err)
	}
	const most = 6
	if n := testing.AllocsPerRun(100, func() {
		var r httpResponse
		_ = decodeHTTPResponse(in, &r)
	}); n > most {
		t.Errorf("decoding a response with 3 headers allocates %v times, want at most %d", n, most)
	}
}
