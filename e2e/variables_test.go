//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestVariablesMasked: a variable whose key names a secret is listed as ***, and an Op reveals
// it on demand (and masks it again); the others are shown as they are.
func TestVariablesMasked(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "variables-"
	dumpOnFailure(t, b, s)
	b.login(s)

	s.apiDo(t, "POST", "/api/v1/variables", map[string]any{"key": "warehouse_PASSWORD", "value": "hunter2-secret"}, nil)
	s.apiDo(t, "POST", "/api/v1/variables", map[string]any{"key": "region", "value": "eu-west"}, nil)
	b.do("open the variables", chromedp.Navigate(s.url+"/#/variables"))
	b.view("variables")
	secret := `[data-testid="variable-row"][data-key="warehouse_PASSWORD"]`
	text := func(sel string) string {
		return eval[string](b, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ""`, sel))
	}
	b.waitFor("both listed", fmt.Sprintf(`document.querySelector(%q) && document.querySelector('[data-testid="variable-row"][data-key="region"]')`, secret))
	if row := text(secret); strings.Contains(row, "hunter2") || !strings.Contains(row, "***") {
		t.Errorf("the secret variable's row reads %q, want its value masked", row)
	}
	if row := text(`[data-testid="variable-row"][data-key="region"]`); !strings.Contains(row, "eu-west") {
		t.Errorf("region's row reads %q, want its value", row)
	}
	b.screenshot("masked")

	b.click(secret + ` [data-testid="variable-reveal"]`)
	b.waitFor("the value revealed", fmt.Sprintf(`document.querySelector(%q)?.textContent === "hunter2-secret"`, secret+` [data-testid="variable-value-shown"]`))
	b.screenshot("revealed")
	b.click(secret + ` [data-testid="variable-reveal"]`)
	b.waitFor("masked again", fmt.Sprintf(`document.querySelector(%q)?.textContent === "***"`, secret+` [data-testid="variable-value-shown"]`))
}
