package tasks

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a DAG file, at a place in it. Line and Column are 1-based;
// 0 means the problem concerns the whole file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// ValidationError lists every problem found in one DAG file, in file order, so the author can
// fix them all in one pass.
type ValidationError struct {
	File     string
	Problems []Problem
	// OverBudget says the file was refused before it was read (too large, nested too deeply,
	// too much repeated through aliases): nothing else in it may be decoded either.
	OverBudget bool
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems for one file while it is parsed.
type problems struct {
	file string
	list []Problem
	seen map[Problem]bool
	// skip drops problems at some places: while tasks are parsed, those inside default_args,
	// which are reported once for default_args itself rather than once per task.
	skip func(Pos) bool
}

func (ps *problems) add(pos Pos, format string, args ...any) {
	p := Problem{File: ps.file, Line: pos.Line, Column: pos.Column, Message: fmt.Sprintf(format, args...)}
	if ps.seen[p] || (ps.skip != nil && ps.skip(pos)) {
		return // the same problem reached twice (an alias resolved in several places)
	}
	if ps.seen == nil {
		ps.seen = map[Problem]bool{}
	}
	ps.seen[p] = true
	ps.list = append(ps.list, p)
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i], ps.list[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return &ValidationError{File: ps.file, Problems: ps.list}
}

// overBudget is err for a file refused by a parser budget (limits.go).
func (ps *problems) overBudget() error {
	err := ps.err().(*ValidationError)
	err.OverBudget = true
	return err
}

// Pos is a place in a DAG file (1-based).
type Pos struct{ Line, Column int }

func (p Pos) before(q Pos) bool {
	return p.Line < q.Line || (p.Line == q.Line && p.Column < q.Column)
}
