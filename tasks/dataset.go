package tasks

import (
	"fmt"
	"net/url"
	"strings"
)

// MaxDatasetURILength is the longest dataset URI the metastore keeps (Airflow's dataset.uri
// column is 3000 characters).
const MaxDatasetURILength = 3000

// DatasetScheduleName is what the DAG row and Airflow's API say of a dataset schedule: Airflow
// shows "Dataset" as its schedule_interval.
const DatasetScheduleName = "Dataset"

// CheckDatasetURI applies Airflow's rules for a dataset URI: not empty or blank, ASCII, at most
// MaxDatasetURILength characters, and not of the airflow:// scheme, which Airflow reserves.
func CheckDatasetURI(uri string) error {
	switch {
	case strings.TrimSpace(uri) == "":
		return fmt.Errorf("a dataset URI cannot be empty or only spaces (e.g. warehouse://orders)")
	case len(uri) > MaxDatasetURILength:
		return fmt.Errorf("dataset URI is %d characters long; at most %d are allowed", len(uri), MaxDatasetURILength)
	}
	for _, r := range uri {
		if r > 127 {
			return fmt.Errorf("dataset URI %q must be ASCII: percent-encode %q", uri, r)
		}
	}
	if u, err := url.Parse(uri); err == nil && strings.EqualFold(u.Scheme, "airflow") {
		return fmt.Errorf("dataset URI %q: the airflow:// scheme is reserved; use another scheme (e.g. warehouse://...)", uri)
	}
	return nil
}

// datasetList reads a list of dataset URIs (a task's outlets, a schedule's datasets): each
// checked, none listed twice.
func (p *dagParser) datasetList(f field, label string) []string {
	uris, pos, _ := p.w.strings(f)
	seen := map[string]int{}
	var out []string
	for i, u := range uris {
		if err := CheckDatasetURI(u); err != nil {
			p.ps.add(pos[i], "%s%s: %v", label, f.key, err)
			continue
		}
		if first, dup := seen[u]; dup {
			p.ps.add(pos[i], "%s%s: %q is listed twice (first at line %d); remove one", label, f.key, u, first)
			continue
		}
		seen[u] = pos[i].Line
		out = append(out, u)
	}
	return out
}

// datasetSchedule reads `schedule: {datasets: [URI, ...]}`: the DAG runs once every listed
// dataset has been updated since its last dataset-triggered run.
func (p *dagParser) datasetSchedule(f field) Schedule {
	fs, ok := p.w.mapping(f.value, "schedule")
	if !ok {
		return Schedule{Kind: ScheduleNone}
	}
	sched := Schedule{Raw: DatasetScheduleName, Kind: ScheduleDatasets}
	found := false
	for _, sf := range fs {
		if sf.key != "datasets" {
			p.ps.add(sf.pos, "schedule: unknown key %q; a dataset schedule is schedule: {datasets: [warehouse://orders, ...]}", sf.key)
			continue
		}
		found = true
		sf.key = "schedule.datasets"
		sched.Datasets = p.datasetList(sf, "")
		if len(sched.Datasets) == 0 && !p.w.broken(sf.value) {
			p.ps.add(valuePos(sf.value), "schedule.datasets is empty: list the dataset URIs the DAG waits for, or set schedule: null")
		}
	}
	if !found {
		p.ps.add(posOf(f.value), "schedule as a mapping needs datasets: [URI, ...] (e.g. schedule: {datasets: [warehouse://orders]})")
	}
	return sched
}
