package scheduler

// MkdirWithin is mkdirWithin, for the tests of package scheduler_test.
var MkdirWithin = mkdirWithin
