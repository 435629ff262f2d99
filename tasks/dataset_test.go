package tasks

import (
	"reflect"
	"strings"
	"testing"
)

func TestDatasetScheduleAndOutlets(t *testing.T) {
	d, err := Parse("testdata/valid/datasets.yaml", []byte(`
dag_id: consumer
schedule:
  datasets: [warehouse://orders, "s3://bucket/key?x=1"]
tasks:
  - id: load
    module: ../modules/noop.wasm
    outlets: [warehouse://report]
  - id: plain
    module: ../modules/noop.wasm
`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Kind != ScheduleDatasets || d.Schedule.Raw != DatasetScheduleName {
		t.Errorf("schedule = %+v, want a dataset schedule", d.Schedule)
	}
	if want := []string{"warehouse://orders", "s3://bucket/key?x=1"}; !reflect.DeepEqual(d.Schedule.Datasets, want) {
		t.Errorf("datasets = %v, want %v", d.Schedule.Datasets, want)
	}
	if d.Schedule.Timed() {
		t.Error("a dataset schedule has no timetable, so it needs no start_date")
	}
	if got := d.Task("load").Outlets; !reflect.DeepEqual(got, []string{"warehouse://report"}) {
		t.Errorf("outlets = %v", got)
	}
	if d.Task("plain").Outlets != nil {
		t.Errorf("a task without outlets has %v", d.Task("plain").Outlets)
	}
}

func TestOutletsFromDefaultArgs(t *testing.T) {
	d, err := Parse("testdata/valid/datasets.yaml", []byte(`
dag_id: producer
default_args: {outlets: [warehouse://orders]}
tasks:
  - id: a
    module: ../modules/noop.wasm
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Task("a").Outlets; !reflect.DeepEqual(got, []string{"warehouse://orders"}) {
		t.Errorf("outlets = %v", got)
	}
}

func TestCheckDatasetURI(t *testing.T) {
	for uri, want := range map[string]string{
		"warehouse://orders":               "",
		"file:///data/x.csv":               "",
		"plain-name":                       "",
		"":                                 "empty",
		" \t":                              "empty",
		"AIRFLOW://x":                      "reserved",
		"airflow://x":                      "reserved",
		"x://ü":                            "ASCII",
		"x://" + strings.Repeat("a", 3000): "at most 3000",
	} {
		err := CheckDatasetURI(uri)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckDatasetURI(%.20q) = %v, want %q", uri, err, want)
		}
	}
}
