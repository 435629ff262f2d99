//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium tab.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
	shots     int
	// prefix starts this test's screenshot names, so tests sharing the artifacts folder do not
	// overwrite each other's.
	prefix string

	mu      sync.Mutex
	console []string // the page's console, exceptions and browser log, for a failure's report
	// authPrompts are the URLs whose answer made the browser ask for HTTP credentials: a user
	// sees the browser's own login popup there.
	authPrompts []string
	dialogs     []string // the messages of the page's alert/confirm dialogs, all accepted
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s (install it with `.ci/install-deps.sh browser`, or `make deps`): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })

	// Start the browser now, so a broken one fails here and not in the first step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	b := &browser{t: t, ctx: ctx, artifacts: artifactsDir(t)}
	// Delete buttons, the run marks and leaving unsaved work ask confirm(): accept every dialog,
	// and keep its message.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	b.collect(ctx)
	b.cancelAuthPrompts(ctx)
	return b
}

// cancelAuthPrompts answers the browser's HTTP authentication prompts (a 401 with
// WWW-Authenticate: Basic) as a user who clicks Cancel, and records them. Headless Chromium
// would otherwise leave the request waiting for credentials forever.
func (b *browser) cancelAuthPrompts(ctx context.Context) {
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	auth := chromedp.Events(ctx, fetch.AuthRequired)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			go chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	go func() {
		for ev, err := range auth {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.authPrompts = append(b.authPrompts, ev.Request.Method+" "+ev.Request.URL)
			b.mu.Unlock()
			go chromedp.Call(ctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{
				RequestID:             ev.RequestID,
				AuthChallengeResponse: &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseCancelAuth},
			})
		}
	}()
	handle := true
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{HandleAuthRequests: &handle}); err != nil {
		b.t.Fatalf("enable request interception: %v", err)
	}
}

// checkNoAuthPrompts fails the test when the browser was asked for HTTP credentials.
func (b *browser) checkNoAuthPrompts() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.authPrompts) > 0 {
		b.t.Errorf("the browser was asked for HTTP basic credentials %d times (a 401 with WWW-Authenticate: Basic to the UI's own requests; a user sees the browser's login popup, headless Chromium hangs): %s",
			len(b.authPrompts), strings.Join(b.authPrompts, ", "))
	}
}

// collect keeps the page's console messages, uncaught exceptions and browser log entries.
func (b *browser) collect(ctx context.Context) {
	add := func(s string) {
		b.mu.Lock()
		b.console = append(b.console, s)
		b.mu.Unlock()
	}
	consoleEvents := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	entries := chromedp.Events(ctx, cdplog.EntryAdded)
	go func() {
		for ev, err := range consoleEvents {
			if err != nil {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			add("console." + ev.Type.String() + ": " + strings.Join(parts, " "))
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			add(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, desc))
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			add(fmt.Sprintf("log %s %s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
		}
	}()
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		b.t.Fatalf("enable the browser log: %v", err)
	}
}

// do runs actions with the wait timeout.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into v.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript expression is truthy.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// view waits until the page shows the view with its data.
func (b *browser) view(name string) {
	b.t.Helper()
	b.waitFor("view "+name, fmt.Sprintf(`document.body.dataset.ready === "1" && document.body.dataset.view === %q && document.body.dataset.viewReady === "1"`, name))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// setInput sets the value of an input or textarea the way typing does (an input event), which
// the Preact forms listen to.
func (b *browser) setInput(sel, value string) {
	b.t.Helper()
	b.do("wait "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q)
		const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype
		Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, %q)
		el.dispatchEvent(new Event('input', {bubbles: true}))
		return true
	})()`, sel, value)
	eval[bool](b, js)
}

// screenshot saves a full-page PNG into the artifacts folder.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.shots++
	path := filepath.Join(b.artifacts, fmt.Sprintf("%s%02d-%s.png", b.prefix, b.shots, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// dumpOnFailure writes the page's HTML and the server's log to the artifacts and the test log.
func dumpOnFailure(t *testing.T, b *browser, s *server) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if err != nil {
			html = "(no page HTML: " + err.Error() + ")"
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		os.WriteFile(filepath.Join(b.artifacts, b.prefix+"failure-page.html"), []byte(html), 0o644)
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(b.artifacts, b.prefix+"failure.png"), png, 0o644)
		}
		logs, _ := os.ReadFile(s.logPath)
		os.WriteFile(filepath.Join(b.artifacts, b.prefix+"failure-server.log"), logs, 0o644)
		if len(html) > 20000 {
			html = html[:20000] + "\n…(cut; the whole page is in " + b.prefix + "failure-page.html)"
		}
		if len(logs) > 20000 {
			logs = append([]byte("…(cut; the whole log is in "+b.prefix+"failure-server.log)\n"), logs[len(logs)-20000:]...)
		}
		b.mu.Lock()
		console := strings.Join(b.console, "\n")
		b.mu.Unlock()
		t.Logf("page at failure (%s):\n%s\n\nbrowser console:\n%s\n\nserver log:\n%s\nartifacts: %s", loc, html, console, logs, b.artifacts)
	})
}

// login opens the UI and signs in as admin (the login page is screenshotted); it ends on the
// DAGs list.
func (b *browser) login(s *server) {
	b.t.Helper()
	b.do("open the UI", chromedp.Navigate(s.url+"/"))
	b.view("login")
	b.screenshot("login")
	b.do("log in",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-username"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-password"]`), s.password),
	)
	b.click(`[data-testid="login-submit"]`)
	b.view("dags")
}
