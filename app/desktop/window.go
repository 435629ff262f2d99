package desktop

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/config"
)

// Options configure the window.
type Options struct {
	Assets fs.FS  // the built views (frontend.Dist())
	Icon   []byte // the window's icon (build/appicon.png)
	Getenv func(string) string
	Stderr io.Writer
	// BindingsOnly is Wails' binding generator running the binary: open no home, start nothing.
	BindingsOnly bool
}

// window is the Wails side: lifecycle, menu, dialogs, notifications. The services it hosts
// are plain Go (services.go).
type window struct {
	o        Options
	svc      *Services
	log      *slog.Logger
	startErr error

	// wails is Wails' context, for its runtime calls, set in startup (on Wails' goroutine)
	// and closing opened; ui() waits for it, as the views may call before startup ran.
	wails     atomic.Pointer[context.Context]
	opened    chan struct{}
	forceQuit atomic.Bool // quitting because of a signal or a failed start: do not ask
	// signals holds SIGINT/SIGTERM once received. Wails quits on them itself, through
	// beforeClose, possibly before our own handler ran: beforeClose looks here first.
	signals    chan os.Signal
	failed     atomic.Int32 // runs failed since the window opened, for the title
	readyMu    sync.Mutex
	readyViews map[string]bool // the views said rendered
	unsaved    atomic.Bool     // the DAG editor holds unsaved work
	notify     atomic.Bool     // the platform's notification service answered
}

// Run opens the window on the home WASMFLOW_HOME names, with the scheduler, the metastore and
// a local worker inside, until the user quits or ctx ends (SIGINT, SIGTERM). It returns the
// process's exit code.
func Run(ctx context.Context, o Options) int {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w := &window{o: o, log: log, signals: make(chan os.Signal, 1), opened: make(chan struct{})}
	signal.Notify(w.signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(w.signals)
	w.svc = &Services{Getenv: o.Getenv, Log: log, Desktop: w}
	w.svc.OnRunFailed = w.runFailed
	w.svc.OnStopped = func(err error) {
		fmt.Fprintf(o.Stderr, "wasmflow: the scheduler stopped: %v\n", err)
		//lint:ignore ST1005 the text of a dialog, read as sentences, never wrapped
		w.errorDialog("wasmflow's scheduler stopped", fmt.Errorf("%w\n\nNothing is scheduled until the app is opened again.", err))
	}
	if !o.BindingsOnly {
		// Start before the window, so its first page already has an API to call. A failure
		// is shown in a dialog once the window exists (startup), where a user who
		// double-clicked the app sees it, and said here: where a second instance only hands
		// over to the first (and exits inside wails.Run), this line is all it leaves.
		if w.startErr = w.svc.Start(ctx); w.startErr != nil {
			fmt.Fprintf(o.Stderr, "wasmflow: %v\n", w.startErr)
		}
	}
	home := w.svc.Info().Home
	if home == "" {
		if cfg, err := config.Load(o.Getenv); err == nil {
			home = cfg.Home
		}
	}
	sum := sha256.Sum256([]byte(home))
	err := wails.Run(&options.App{
		Title:     title(home, 0),
		Width:     1280,
		Height:    820,
		MinWidth:  800,
		MinHeight: 560,
		AssetServer: &assetserver.Options{
			Assets:  o.Assets,
			Handler: w.svc, // the same API `wasmflow server` serves: the views need no other transport
		},
		Menu: w.menu(),
		// An app that cannot start (a second instance on the home, a broken metastore) shows
		// only the dialog that says why, not an empty window behind it.
		StartHidden:   w.startErr != nil,
		OnStartup:     func(c context.Context) { w.startup(ctx, c) },
		OnBeforeClose: w.beforeClose,
		OnShutdown:    w.shutdown,
		// One window per home: a second launch on the same home brings the first forward.
		// (Where the platform cannot tell, the home's scheduler lock refuses the second.)
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               "wasmflow-" + hex.EncodeToString(sum[:8]),
			OnSecondInstanceLaunch: w.secondInstance,
		},
		Linux: &linux.Options{Icon: o.Icon, ProgramName: "wasmflow", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
	})
	if err != nil {
		fmt.Fprintf(o.Stderr, "wasmflow: cannot open the desktop window: %v\n", err)
		w.svc.Close()
		return 1
	}
	if w.startErr != nil {
		return 1
	}
	return 0
}

// ui is Wails' context once the window exists.
func (w *window) ui() context.Context {
	<-w.opened
	return *w.wails.Load()
}

func title(home string, failed int32) string {
	t := "wasmflow — " + home
	if failed > 0 {
		t = fmt.Sprintf("wasmflow (%d failed) — %s", failed, home)
	}
	return t
}

// startup runs once the window exists. parent is the process's context: when it ends
// (SIGINT, SIGTERM, a session logging out), the app quits as if the user chose Quit.
func (w *window) startup(parent, ctx context.Context) {
	w.wails.Store(&ctx)
	close(w.opened)
	if w.startErr != nil {
		// Nothing runs to be stopped cleanly, and a signal cannot end the modal dialog's loop.
		go func() {
			<-parent.Done()
			os.Exit(1)
		}()
		wruntime.MessageDialog(ctx, wruntime.MessageDialogOptions{Type: wruntime.ErrorDialog,
			Title: "wasmflow cannot start", Message: startMessage(w.startErr)})
		w.forceQuit.Store(true)
		wruntime.Quit(ctx)
		return
	}
	if err := wruntime.InitializeNotifications(ctx); err != nil {
		w.log.Info("desktop notifications are not available; failed runs show in the window title", "err", err)
	} else {
		w.notify.Store(wruntime.IsNotificationAvailable(ctx))
	}
	info := w.svc.Info()
	fmt.Fprintf(w.o.Stderr, "wasmflow: the desktop app runs on %s (DAGs from %s)\n", info.Home, info.DagsFolder)
	if info.JoinCommand != "" {
		fmt.Fprintf(w.o.Stderr, "wasmflow: join workers with: %s\n", info.JoinCommand)
		if info.JoinNote != "" {
			fmt.Fprintf(w.o.Stderr, "wasmflow: note: %s\n", info.JoinNote)
		}
	}
	go func() {
		<-parent.Done()
		w.forceQuit.Store(true)
		wruntime.Quit(ctx)
	}()
}

// startMessage explains a failed start to someone who double-clicked the app.
func startMessage(err error) string {
	var le *app.LockedError
	if errors.As(err, &le) {
		who := "Another wasmflow"
		if le.PID != "" {
			who += " (process " + le.PID + ")"
		}
		return who + " — a window, `wasmflow standalone` or `wasmflow server` — already runs the scheduler of " +
			filepath.Dir(le.Path) + ".\n\nUse that one, or quit it and open the app again. To run another app beside it, give this one another WASMFLOW_HOME."
	}
	return err.Error()
}

// beforeClose asks before quitting while tasks run; it returns true to keep the window open.
func (w *window) beforeClose(ctx context.Context) bool {
	if w.forceQuit.Load() || len(w.signals) > 0 {
		return false
	}
	var why []string
	if w.unsaved.Load() {
		why = append(why, "The DAG editor has unsaved changes; quitting loses them.")
	}
	if n, err := w.svc.Running(ctx); err == nil && n > 0 {
		why = append(why, fmt.Sprintf("%d task instance(s) are queued or running. Quitting gives them %s to finish, then stops them; they run again at the next start.", n, shutdownGrace))
	}
	if len(why) == 0 {
		return false
	}
	opts := wruntime.MessageDialogOptions{Type: wruntime.QuestionDialog, Title: "Quit wasmflow?",
		Message: strings.Join(why, "\n\n") + "\n\nQuit anyway?"}
	if goruntime.GOOS == "darwin" || goruntime.GOOS == "windows" {
		opts.Buttons, opts.DefaultButton, opts.CancelButton = []string{"Quit", "Cancel"}, "Cancel", "Cancel"
	}
	answer, err := wruntime.MessageDialog(ctx, opts)
	if err != nil {
		return false
	}
	return answer != "Quit" && answer != "Yes"
}

// shutdown stops the services after the window closed: the scheduler records every result,
// running tries get shutdownGrace, and the home is closed; nothing is left running.
func (w *window) shutdown(context.Context) {
	if err := w.svc.Close(); err != nil {
		fmt.Fprintf(w.o.Stderr, "wasmflow: stopping the scheduler: %v\n", err)
		return
	}
	fmt.Fprintln(w.o.Stderr, "wasmflow: stopped")
}

func (w *window) secondInstance(options.SecondInstanceData) {
	wruntime.WindowUnminimise(w.ui())
	wruntime.WindowShow(w.ui())
}

// runFailed tells the user a run failed: a desktop notification where the platform has one,
// and the count in the window's title.
func (w *window) runFailed(r app.RunInfo) {
	n := w.failed.Add(1)
	wruntime.WindowSetTitle(w.ui(), title(w.svc.Info().Home, n))
	if !w.notify.Load() {
		return
	}
	err := wruntime.SendNotification(w.ui(), wruntime.NotificationOptions{
		ID:    "run-failed-" + r.DagID + "-" + r.DagRunID,
		Title: "wasmflow: " + r.DagID + " failed",
		Body:  "Run " + r.DagRunID + " failed. Open the app to see which task and its log.",
	})
	if err != nil {
		w.log.Info("send a desktop notification", "err", err)
	}
}

// --- api.Desktop: what the window adds to the API of its own views ---

// SetUnsaved implements api.Desktop.
func (w *window) SetUnsaved(unsaved bool) { w.unsaved.Store(unsaved) }

// Ready implements api.Desktop: a view rendered, said once per view. The desktop smoke test
// waits for these lines.
func (w *window) Ready(view string, liveEvents bool) {
	w.readyMu.Lock()
	defer w.readyMu.Unlock()
	if w.readyViews[view] || len(w.readyViews) >= 100 {
		return
	}
	if w.readyViews == nil {
		w.readyViews = map[string]bool{}
	}
	w.readyViews[view] = true
	fmt.Fprintf(w.o.Stderr, "wasmflow: the window rendered %s (live events: %v)\n", view, liveEvents)
}

// pickModules asks for .wasm files in the native dialog; none when cancelled.
func (w *window) pickModules() ([]string, error) {
	return wruntime.OpenMultipleFilesDialog(w.ui(), wruntime.OpenDialogOptions{
		Title:   "Import WebAssembly modules",
		Filters: []wruntime.FileFilter{{DisplayName: "WebAssembly modules (*.wasm)", Pattern: "*.wasm"}},
	})
}

// ImportModules implements api.Desktop with the native file dialog.
func (w *window) ImportModules(ctx context.Context) (any, error) {
	paths, err := w.pickModules()
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	mods, err := w.svc.ImportFiles(ctx, paths)
	if err != nil {
		return nil, err
	}
	return mods, nil
}

// PickDagsFolder implements api.Desktop with the native folder dialog; the choice goes to
// wasmflow.toml and the scheduler restarts on it.
func (w *window) PickDagsFolder(ctx context.Context) (string, error) {
	dir, err := wruntime.OpenDirectoryDialog(w.ui(), wruntime.OpenDialogOptions{
		Title: "Choose the DAGs folder", DefaultDirectory: w.svc.Info().DagsFolder, CanCreateDirectories: true,
	})
	if err != nil || dir == "" {
		return "", err
	}
	if n, err := w.svc.Running(ctx); err == nil && n > 0 {
		answer, _ := wruntime.MessageDialog(w.ui(), wruntime.MessageDialogOptions{Type: wruntime.QuestionDialog,
			Title: "Switch the DAGs folder?", Message: fmt.Sprintf(
				"%d task instance(s) are queued or running. Switching restarts the scheduler: they get %s to finish, then stop and run again afterwards.\n\nSwitch anyway?",
				n, cmp.Or(w.svc.Grace, shutdownGrace))})
		if answer != "Yes" && answer != "Ok" && answer != "OK" {
			return "", nil
		}
	}
	if err := w.svc.SetDagsFolder(ctx, dir); err != nil {
		return "", err
	}
	// The views' event stream belonged to the stopped services: load them afresh.
	go wruntime.WindowReloadApp(w.ui())
	return dir, nil
}

// --- menu ---

func (w *window) menu() *menu.Menu {
	m := menu.NewMenu()
	if goruntime.GOOS == "darwin" {
		m.Append(menu.AppMenu())
	}
	// Menu callbacks may run on the UI thread, where a dialog would wait for itself: each
	// action runs on its own goroutine.
	do := func(fn func()) func(*menu.CallbackData) { return func(*menu.CallbackData) { go fn() } }
	file := m.AddSubmenu("File")
	file.AddText("New DAG", keys.CmdOrCtrl("n"), do(func() { wruntime.WindowExecJS(w.ui(), `location.hash = "#/author"`) }))
	file.AddText("Import .wasm Modules…", keys.CmdOrCtrl("i"), do(w.menuImport))
	file.AddSeparator()
	file.AddText("Open DAGs Folder", keys.CmdOrCtrl("o"), do(func() {
		if err := openFolder(w.svc.Info().DagsFolder, fileManagerGrace); err != nil {
			w.errorDialog("Cannot open the DAGs folder", err)
		}
	}))
	file.AddText("Choose DAGs Folder…", nil, do(func() {
		if _, err := w.PickDagsFolder(context.Background()); err != nil {
			w.errorDialog("Cannot switch the DAGs folder", err)
		}
	}))
	file.AddText("Copy Worker Join Command", nil, do(w.copyJoin))
	file.AddSeparator()
	file.AddText("Quit", keys.CmdOrCtrl("q"), do(func() { wruntime.Quit(w.ui()) }))
	if goruntime.GOOS == "darwin" {
		m.Append(menu.EditMenu()) // copy and paste in the editor need it on macOS
	}
	view := m.AddSubmenu("View")
	view.AddText("DAGs", keys.CmdOrCtrl("1"), do(func() { wruntime.WindowExecJS(w.ui(), `location.hash = "#/"`) }))
	view.AddText("Cluster", keys.CmdOrCtrl("2"), do(func() { wruntime.WindowExecJS(w.ui(), `location.hash = "#/cluster"`) }))
	view.AddSeparator()
	view.AddText("Reload", keys.CmdOrCtrl("r"), do(w.reload))
	return m
}

// reload rescans the DAGs folder and reloads the views.
func (w *window) reload() {
	if a := w.svc.App(); a != nil {
		if _, err := a.SyncDags(context.Background()); err != nil {
			w.log.Warn("rescan the DAGs folder", "err", err)
		}
	}
	wruntime.WindowReloadApp(w.ui())
}

func (w *window) menuImport() {
	paths, err := w.pickModules()
	if err != nil || len(paths) == 0 {
		return
	}
	mods, err := w.svc.ImportFiles(context.Background(), paths)
	if err != nil {
		w.errorDialog("Cannot import the modules", err)
		return
	}
	if msg := importedMessage(mods); msg != "" {
		wruntime.MessageDialog(w.ui(), wruntime.MessageDialogOptions{Type: wruntime.InfoDialog, Title: "Modules imported", Message: msg})
	}
}

func (w *window) copyJoin() {
	info := w.svc.Info()
	if info.JoinCommand == "" {
		//lint:ignore ST1005 the text of a dialog, read as sentences, never wrapped
		w.errorDialog("No cluster", fmt.Errorf("Workers cannot join this app: it runs every task itself, because its cluster ports are taken.\n\n%s", info.NoCluster))
		return
	}
	if err := wruntime.ClipboardSetText(w.ui(), info.JoinCommand); err != nil {
		w.errorDialog("Cannot copy the join command", fmt.Errorf("%w\n\nRun this on each worker:\n%s", err, info.JoinCommand))
		return
	}
	msg := "Copied. Run it on each machine that should run tasks for this app:\n\n" + info.JoinCommand
	if info.JoinNote != "" {
		msg = "Copied. Run it to add a worker on this machine:\n\n" + info.JoinCommand + "\n\nNote: " + info.JoinNote + "."
	}
	wruntime.MessageDialog(w.ui(), wruntime.MessageDialogOptions{Type: wruntime.InfoDialog, Title: "Join command copied", Message: msg})
}

func (w *window) errorDialog(title string, err error) {
	wruntime.MessageDialog(w.ui(), wruntime.MessageDialogOptions{Type: wruntime.ErrorDialog, Title: title, Message: err.Error()})
}

// fileManager is the command that shows a folder in the platform's file manager.
var fileManager = func(dir string) *exec.Cmd {
	switch goruntime.GOOS {
	case "darwin":
		return exec.Command("open", dir)
	case "windows":
		return exec.Command("explorer", filepath.Clean(dir))
	default:
		return exec.Command("xdg-open", dir)
	}
}

// fileManagerGrace is how long openFolder waits for the opener to fail: xdg-open with no file
// manager to hand the folder to exits non-zero at once; one that opened it exits 0 or keeps
// running.
const fileManagerGrace = 3 * time.Second

// openFolder shows dir in the platform's file manager, or says that none could, and where the
// folder is, so that it can be opened by hand.
func openFolder(dir string, grace time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := fileManager(dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	noManager := func(why string) error {
		//lint:ignore ST1005 the text of a dialog, read as sentences, never wrapped
		return fmt.Errorf("No file manager could open it (%s).\n\nThe DAGs folder is:\n%s", why, dir)
	}
	if err := cmd.Start(); err != nil {
		return noManager(err.Error())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			why := strings.TrimSpace(out.String())
			if why == "" {
				why = err.Error()
			}
			return noManager(fmt.Sprintf("%s: %s", filepath.Base(cmd.Path), why))
		}
	case <-time.After(grace): // still running: it has the folder open
	}
	return nil
}
