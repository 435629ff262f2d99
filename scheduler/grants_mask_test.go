package scheduler

import (
	"slices"
	"testing"
)

// The secrets in a connection's extra are masked with the try's: sensitive keys and the
// headers the host adds, not the rest.
func TestExtraSecrets(t *testing.T) {
	got := extraSecrets(`{"token": "tok-1", "api_key": "k-2", "region": "eu", "headers": {"X-Api-Key": "h-3"}, "timeout": 5}`)
	slices.Sort(got)
	if want := []string{"h-3", "k-2", "tok-1"}; !slices.Equal(got, want) {
		t.Errorf("extraSecrets = %q, want %q", got, want)
	}
	if got := extraSecrets("not json"); got != nil {
		t.Errorf("extraSecrets of text = %q", got)
	}
}
