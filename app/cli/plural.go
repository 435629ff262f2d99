package cli

import "fmt"

// count writes n with its noun, singular for one: "1 run", "2 runs", "1 task instance".
func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
