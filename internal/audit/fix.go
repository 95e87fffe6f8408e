package audit

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func hostOS() string { return host.Platform().Name }

// fixFor says, in one line per cause, how to make a hijackable socket
// exclusive on platform, from the attempts that took its traffic: first
// in the terms of the program that holds it, where programs.txt knows
// its setting (ProgramFixes), then the platform registry's fixes for the
// options no program fix covers (matrix.PlatformFacts.Fixes). Each claim
// names its source.
func fixFor(platform string, s matrix.AuditSocket) string {
	var fixes []string
	covered := map[matrix.Option]bool{}
	for _, f := range ProgramFixes() {
		if f.Applies(platform, s) {
			fixes = append(fixes, f.String())
			covered[f.Option] = true
		}
	}
	for _, f := range matrix.FactsOf(platform).Fixes {
		if f.Applies(s) && (len(f.Took) == 0 || slices.ContainsFunc(f.Took, func(o matrix.Option) bool { return !covered[o] })) {
			fixes = append(fixes, f.Text)
		}
	}
	if len(fixes) == 0 {
		fixes = append(fixes, "another process took some of this socket's traffic with the attempts marked above; no fix is known to this tool for that case on "+platform)
	}
	return strings.Join(fixes, "; ")
}

// ProgramFix is a program's own setting that stops takeovers with Option
// on OS, or the word that none does: a line of programs.txt.
type ProgramFix struct {
	Programs []string // command names, as the audit shows a socket's holder
	OS       string
	Option   matrix.Option
	Text     string
	Source   string
}

// Applies says whether the fix is for socket s on platform: its holder is
// one of the programs, and a takeover with the option took its traffic.
func (f ProgramFix) Applies(platform string, s matrix.AuditSocket) bool {
	return f.OS == platform && slices.Contains(f.Programs, s.Command) &&
		slices.ContainsFunc(s.Attempts, func(a matrix.Attempt) bool { return a.Took() && a.Option == f.Option })
}

// Nothing says no setting of the program turns the option off.
func (f ProgramFix) Nothing() bool { return strings.HasPrefix(f.Text, "nothing") }

func (f ProgramFix) String() string {
	return fmt.Sprintf("%s (%s): %s (%s)", strings.Join(f.Programs, ", "), f.Option, f.Text, f.Source)
}

//go:embed programs.txt
var programsTxt []byte

// ProgramFixes are the fixes of programs.txt, built into the binary; a
// test keeps the file well-formed.
var ProgramFixes = sync.OnceValue(func() []ProgramFix {
	fixes, _ := ParseProgramFixes("internal/audit/programs.txt", programsTxt)
	return fixes
})

// ParseProgramFixes reads programs.txt: "program, ... | os | option | fix |
// source". A defect is an *matrix.InputError naming file:line.
func ParseProgramFixes(file string, data []byte) ([]ProgramFix, error) {
	var fixes []ProgramFix
	for i, line := range strings.Split(string(data), "\n") {
		fail := func(format string, args ...any) error {
			return &matrix.InputError{File: file, Line: i + 1, Msg: fmt.Sprintf(format, args...)}
		}
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) != 5 {
			return nil, fail("%d columns, want 5: program | os | option | fix | source", len(cols))
		}
		for j := range cols {
			if cols[j] = strings.TrimSpace(cols[j]); cols[j] == "" {
				return nil, fail("column %d is empty", j+1)
			}
		}
		f := ProgramFix{OS: cols[1], Text: cols[3], Source: cols[4]}
		for _, p := range strings.Split(cols[0], ",") {
			if p = strings.TrimSpace(p); p == "" || len(p) > 15 || strings.ContainsAny(p, " /") {
				return nil, fail("program %q: a command name, at most 15 characters, no spaces or slashes", p)
			}
			f.Programs = append(f.Programs, p)
		}
		if !slices.ContainsFunc(matrix.Platforms(), func(p matrix.PlatformFacts) bool { return p.Name == f.OS }) {
			return nil, fail("os %q is no platform bindmatrix knows", f.OS)
		}
		opt, err := matrix.ParseOption(cols[2])
		if err != nil || opt == matrix.None {
			return nil, fail("option %q: name the option of the takeovers it stops", cols[2])
		}
		f.Option = opt
		for _, g := range fixes {
			if g.OS == f.OS && g.Option == f.Option && slices.ContainsFunc(f.Programs, func(p string) bool { return slices.Contains(g.Programs, p) }) {
				return nil, fail("a second fix for %s, %s, %s", strings.Join(f.Programs, ", "), f.OS, f.Option)
			}
		}
		fixes = append(fixes, f)
	}
	return fixes, nil
}
