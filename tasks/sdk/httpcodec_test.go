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
