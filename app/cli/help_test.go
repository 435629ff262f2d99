package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestFlagPlaceholders: a backquoted word in a flag's usage becomes its placeholder in -h
// (pflag's rule), so a backquoted command there prints "--token wasmflow users token -u USER".
// Every placeholder must be one word.
func TestFlagPlaceholders(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			seen++
			if name, _ := pflag.UnquoteUsage(f); strings.ContainsAny(name, " \t") {
				t.Errorf("%s --%s shows the placeholder %q in -h: backquote one word of its usage, or none", c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(IO{}))
	if seen < 50 {
		t.Fatalf("walked %d flags: the command tree was not built", seen)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 runs", 1: "1 run", 2: "2 runs"} {
		if got := count(n, "run"); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
