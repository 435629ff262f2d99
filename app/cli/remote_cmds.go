package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/tasks"
)

// remoteOK marks a command that works through --server; others refuse it rather than
// silently work on the local home.
const remoteOK = "wasmflow/remote"

func allowRemote(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[remoteOK] = "yes"
	return cmd
}

// checkRemote refuses --server on a command that only works on the local home.
func (e *env) checkRemote(cmd *cobra.Command) error {
	if e.server != "" && cmd.Annotations[remoteOK] == "" {
		return usageError{fmt.Errorf("%s works on the local home only, not through --server (remote: dags list, dags trigger, tasks state, tasks states-for-dag-run, tasks clear, tasks logs, connections)", cmd.CommandPath())}
	}
	return nil
}

func (e *env) remoteDagsList(ctx context.Context, c *client, all bool, tags []string) ([]app.DagInfo, error) {
	var out []app.DagInfo
	for {
		q := url.Values{"limit": {"1000"}, "offset": {strconv.Itoa(len(out))}, "only_active": {strconv.FormatBool(!all)}, "tags": tags}
		var page struct {
			Dags  []app.DagInfo `json:"dags"`
			Total int           `json:"total_entries"`
		}
		if err := c.call(ctx, "GET", "/api/v1/dags?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Dags...)
		if len(page.Dags) == 0 || len(out) >= page.Total {
			return out, nil
		}
	}
}

func (e *env) remoteTrigger(ctx context.Context, c *client, dagID string, o app.TriggerOptions, wait bool, outFmt string) error {
	var events <-chan sseEvent
	if wait { // subscribe first, so no change between the trigger and the stream is missed
		var err error
		if events, err = c.stream(ctx, "/api/v1/events?dag_id="+url.QueryEscape(dagID)); err != nil {
			return err
		}
	}
	body := map[string]any{}
	if o.RunID != "" {
		body["dag_run_id"] = o.RunID
	}
	if !o.LogicalDate.IsZero() {
		body["logical_date"] = o.LogicalDate.UTC().Format(time.RFC3339Nano)
	}
	if o.Conf != nil {
		body["conf"] = o.Conf
	}
	var run app.RunInfo
	if err := c.call(ctx, "POST", apiPath("dags", dagID, "dagRuns"), body, &run); err != nil {
		return err
	}
	if !wait {
		return render(e.io.Stdout, outFmt, runListing([]app.RunInfo{run}))
	}
	fmt.Fprintf(e.io.Stdout, "Created %s; waiting for it to end\n", run.DagRunID)
	progress := e.progress(e.io.Stdout)
	state, err := e.followRun(ctx, c, run, events, progress)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(e.io.Stdout, "Stopped waiting; run %s goes on\n", run.DagRunID)
			return nil
		}
		return err
	}
	fmt.Fprintf(e.io.Stdout, "Run %s ended %s\n", run.DagRunID, state)
	if state != string(tasks.RunSuccess) {
		return fmt.Errorf("run %s of %s failed: `wasmflow tasks states-for-dag-run %s %s --server ...` shows which tasks", run.DagRunID, dagID, dagID, run.DagRunID)
	}
	return nil
}

// followRun prints a run's task instances as their states change until the run ends, from
// the server's event stream; when the stream breaks it reads the run again and reconnects.
func (e *env) followRun(ctx context.Context, c *client, run app.RunInfo, events <-chan sseEvent, progress func(app.TaskInstanceInfo)) (string, error) {
	seen := map[string]string{}
	show := func(ti app.TaskInstanceInfo) {
		st := "none"
		if ti.State != nil {
			st = *ti.State
		}
		if seen[ti.TaskID] != st+fmt.Sprint(ti.TryNumber) {
			seen[ti.TaskID] = st + fmt.Sprint(ti.TryNumber)
			progress(ti)
		}
	}
	// check reads the run as it is now: it may have ended before the stream began.
	check := func() (string, bool, error) {
		var cur app.RunInfo
		if err := c.call(ctx, "GET", apiPath("dags", run.DagID, "dagRuns", run.DagRunID), nil, &cur); err != nil {
			return "", false, err
		}
		var tis struct {
			TIs []app.TaskInstanceInfo `json:"task_instances"`
		}
		if err := c.call(ctx, "GET", apiPath("dags", run.DagID, "dagRuns", run.DagRunID, "taskInstances"), nil, &tis); err != nil {
			return "", false, err
		}
		for _, ti := range tis.TIs {
			show(ti)
		}
		return cur.State, tasks.DagRunState(cur.State).Finished(), nil
	}
	for {
		if state, done, err := check(); err != nil || done {
			return state, err
		}
		for ev := range events {
			switch ev.name {
			case "task_instance":
				var ti app.TaskInstanceInfo
				if json.Unmarshal(ev.data, &ti) == nil && ti.DagRunID == run.DagRunID {
					show(ti)
				}
			case "dag_run":
				var r app.RunInfo
				if json.Unmarshal(ev.data, &r) == nil && r.DagRunID == run.DagRunID && tasks.DagRunState(r.State).Finished() {
					_, _, err := check() // the last task instances, then the end
					return r.State, err
				}
			}
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// The stream ended (the server restarted, or we fell behind): reconnect.
		if !sleepCtx(ctx, time.Second) {
			return "", ctx.Err()
		}
		var err error
		if events, err = c.stream(ctx, "/api/v1/events?dag_id="+url.QueryEscape(run.DagID)); err != nil {
			e.io.Stderr.Write([]byte("note: " + err.Error() + "; trying again\n"))
			events = closedEvents()
		}
	}
}

func closedEvents() <-chan sseEvent {
	ch := make(chan sseEvent)
	close(ch)
	return ch
}

func (e *env) remoteStates(ctx context.Context, c *client, dagID, runRef, outFmt string) error {
	var tis struct {
		TIs []app.TaskInstanceInfo `json:"task_instances"`
	}
	if err := c.call(ctx, "GET", apiPath("dags", dagID, "dagRuns", runRef, "taskInstances")+"?limit=1000", nil, &tis); err != nil {
		return err
	}
	return render(e.io.Stdout, outFmt, tiListing(tis.TIs))
}

func (e *env) remoteClear(ctx context.Context, c *client, o app.ClearOptions, yes bool) error {
	body := map[string]any{"task_regex": o.TaskRegex, "only_failed": o.OnlyFailed, "include_upstream": o.Upstream,
		"include_downstream": o.Downstream, "dry_run": true}
	if !o.Start.IsZero() {
		body["start_date"] = o.Start.UTC().Format(time.RFC3339Nano)
	}
	if !o.End.IsZero() {
		body["end_date"] = o.End.UTC().Format(time.RFC3339Nano)
	}
	type cleared struct {
		TIs []struct {
			DagRunID string `json:"dag_run_id"`
			TaskID   string `json:"task_id"`
		} `json:"task_instances"`
	}
	var plan cleared
	if err := c.call(ctx, "POST", apiPath("dags", o.DagID, "clearTaskInstances"), body, &plan); err != nil {
		return err
	}
	if len(plan.TIs) == 0 {
		fmt.Fprintln(e.io.Stdout, "No task instances to clear")
		return nil
	}
	byRun := map[string][]string{}
	for _, ti := range plan.TIs {
		byRun[ti.DagRunID] = append(byRun[ti.DagRunID], ti.TaskID)
	}
	runs := make([]string, 0, len(byRun))
	for r := range byRun {
		runs = append(runs, r)
	}
	sort.Strings(runs)
	for _, r := range runs {
		sort.Strings(byRun[r])
		fmt.Fprintf(e.io.Stdout, "%s: %s\n", r, strings.Join(byRun[r], ", "))
	}
	if !yes && !e.confirm(fmt.Sprintf("Clear these %s?", count(len(plan.TIs), "task instance"))) {
		return errors.New("clear cancelled (pass -y to skip the question)")
	}
	body["dry_run"] = false
	var done cleared
	if err := c.call(ctx, "POST", apiPath("dags", o.DagID, "clearTaskInstances"), body, &done); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Stdout, "Cleared %s\n", count(len(done.TIs), "task instance"))
	return nil
}

func (e *env) remoteLogs(ctx context.Context, c *client, dagID, runRef, taskID string, mapIndex, try int, follow bool) error {
	ti := apiPath("dags", dagID, "dagRuns", runRef, "taskInstances", taskID)
	detail, q := ti, ""
	if mapIndex >= 0 { // a mapped task's instance: its own path, and its logs by map_index
		detail, q = ti+"/"+strconv.Itoa(mapIndex), "?map_index="+strconv.Itoa(mapIndex)
	}
	if try == 0 {
		for {
			var cur app.TaskInstanceInfo
			if err := c.call(ctx, "GET", detail, nil, &cur); err != nil {
				return err
			}
			if cur.TryNumber > 0 {
				try = cur.TryNumber
				break
			}
			st := "none"
			if cur.State != nil {
				st = *cur.State
			}
			if !follow || tasks.TaskInstanceState(st).Finished() {
				return fmt.Errorf("task %s of run %s has not run yet (state %s)", taskID, runRef, st)
			}
			if !sleepCtx(ctx, 500*time.Millisecond) {
				return nil
			}
		}
	}
	if !follow {
		resp, err := c.send(ctx, "GET", ti+"/logs/"+strconv.Itoa(try)+q, nil, time.Minute)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(e.io.Stdout, resp.Body)
		return err
	}
	events, err := c.stream(ctx, ti+"/logs/"+strconv.Itoa(try)+"/stream"+q)
	if err != nil {
		return err
	}
	for ev := range events {
		switch ev.name {
		case "log":
			var chunk struct {
				Data string `json:"data"`
			}
			if json.Unmarshal(ev.data, &chunk) == nil {
				fmt.Fprint(e.io.Stdout, chunk.Data)
			}
		case "end":
			return nil
		}
	}
	return ctx.Err()
}
