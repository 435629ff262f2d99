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

// remoteAll marks each command as working through --server.
func remoteAll(cmds ...*cobra.Command) []*cobra.Command {
	for _, c := range cmds {
		allowRemote(c)
	}
	return cmds
}

// localWhy marks a command that cannot work through --server, with the reason it gives.
const localWhy = "wasmflow/local"

// localOnly marks cmd as working on the local home only, for the reason why.
func localOnly(cmd *cobra.Command, why string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[localWhy] = why
	return cmd
}

// checkRemote refuses --server on a command that only works on the local home, saying why
// and which commands do work through it.
func (e *env) checkRemote(cmd *cobra.Command) error {
	if e.server == "" || cmd.Annotations[remoteOK] != "" {
		return nil
	}
	why := "it works on the local home"
	for c := cmd; c != nil; c = c.Parent() { // a group's reason covers its commands
		if w := c.Annotations[localWhy]; w != "" {
			why = w
			break
		}
	}
	return usageError{fmt.Errorf("%s does not work through --server: %s.\nThrough --server: %s", cmd.CommandPath(), why, strings.Join(remoteCommands(cmd.Root()), ", "))}
}

// remoteCommands lists the commands under root that work through --server, by path.
func remoteCommands(root *cobra.Command) []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Annotations[remoteOK] != "" {
			out = append(out, strings.TrimPrefix(c.CommandPath(), root.Name()+" "))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	sort.Strings(out)
	return out
}

func (e *env) remoteDagsList(ctx context.Context, c *client, all bool, tags []string) ([]app.DagInfo, error) {
	return listAll[app.DagInfo](ctx, c, "/api/v1/dags", "dags", url.Values{"only_active": {strconv.FormatBool(!all)}, "tags": tags})
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
	var dag struct {
		IsPaused bool `json:"is_paused"`
	}
	if err := c.call(ctx, "GET", apiPath("dags", dagID), nil, &dag); err == nil && dag.IsPaused {
		fmt.Fprintf(e.io.Stderr, "note: %s is paused, so the run waits in queued until `wasmflow dags unpause %s`\n", dagID, dagID)
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

// remoteRuns lists a DAG's runs through the API, newest first, as q selects them.
func remoteRuns(ctx context.Context, c *client, dagID string, q app.RunsQuery) ([]app.RunInfo, error) {
	v := url.Values{"order_by": {"-logical_date"}}
	for _, st := range q.States {
		v.Add("state", string(st))
	}
	if !q.From.IsZero() {
		v.Set("execution_date_gte", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("execution_date_lte", q.To.UTC().Format(time.RFC3339Nano))
	}
	return listAll[app.RunInfo](ctx, c, apiPath("dags", dagID, "dagRuns"), "dag_runs", v, q.Limit)
}

// remoteMark sets a task instance's state through Airflow's PATCH of it (a mapped instance's
// by its map index).
func remoteMark(ctx context.Context, c *client, dagID, runRef, taskID string, mapIndex int, state string) error {
	p := apiPath("dags", dagID, "dagRuns", runRef, "taskInstances", taskID)
	if mapIndex >= 0 {
		p += "/" + strconv.Itoa(mapIndex)
	}
	return c.call(ctx, "PATCH", p, map[string]any{"new_state": state, "dry_run": false}, nil)
}
