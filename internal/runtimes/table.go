package runtimes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// DefaultsFile says what each reference server's runtime sets on its
// listener, per OS family, with the source; FixesFile how to fix each
// runtime's listener.
const (
	DefaultsFile = Dir + "/defaults.txt"
	FixesFile    = Dir + "/fixes.txt"
	// TableFile is the generated runtime table.
	TableFile = "docs/runtime-table.md"
)

// Runtime names the runtime of a server: the first word of its title.
func (s Server) Runtime() string {
	first, _, _ := strings.Cut(s.Title, " ")
	return first
}

// columns splits a " | " line of one of this directory's files, or says
// what is wrong with it.
func columns(file string, n int, line string, names ...string) ([]string, error) {
	cols := strings.Split(line, " | ")
	if len(cols) != len(names) {
		return nil, &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("want %d columns separated by \" | \" (%s), found %d",
			len(names), strings.Join(names, ", "), len(cols))}
	}
	for i := range cols {
		if cols[i] = strings.TrimSpace(cols[i]); cols[i] == "" {
			return nil, &matrix.InputError{File: file, Line: n, Msg: "column " + names[i] + " is empty"}
		}
	}
	return cols, nil
}

// lines calls each for the non-comment lines of data.
func lines(file string, data []byte, each func(n int, line string) error) error {
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasSuffix(line, "\r") {
			return &matrix.InputError{File: file, Line: i + 1, Msg: "carriage return at end of line: the file has CRLF line endings"}
		}
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if err := each(i+1, line); err != nil {
			return err
		}
	}
	return nil
}

var osFamilies = []string{"unix", "windows"}

// ParseDefaults reads defaults.txt: "server | os | sets | source", where
// sets is "none" or option names separated by spaces.
func ParseDefaults(file string, data []byte, servers []Server) ([]report.RuntimeClaim, error) {
	var claims []report.RuntimeClaim
	err := lines(file, data, func(n int, line string) error {
		cols, err := columns(file, n, line, "server", "os", "sets", "source")
		if err != nil {
			return err
		}
		bad := func(format string, args ...any) error {
			return &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf(format, args...)}
		}
		if !slices.ContainsFunc(servers, func(s Server) bool { return s.Name == cols[0] }) {
			return bad("no server %q in %s", cols[0], ManifestFile)
		}
		if !slices.Contains(osFamilies, cols[1]) {
			return bad("os %q (valid: %s)", cols[1], strings.Join(osFamilies, ", "))
		}
		c := report.RuntimeClaim{Server: cols[0], OS: cols[1], Source: cols[3]}
		if cols[2] != "none" {
			for _, name := range strings.Fields(cols[2]) {
				o, err := matrix.ParseOption(name)
				if err != nil {
					return bad("sets: %v", err)
				}
				c.Sets = append(c.Sets, o)
			}
		}
		claims = append(claims, c)
		return nil
	})
	return claims, err
}

// ParseFixes reads fixes.txt: "runtime | os | fix".
func ParseFixes(file string, data []byte) ([]report.RuntimeFix, error) {
	var fixes []report.RuntimeFix
	err := lines(file, data, func(n int, line string) error {
		cols, err := columns(file, n, line, "runtime", "os", "fix")
		if err != nil {
			return err
		}
		fixes = append(fixes, report.RuntimeFix{Runtime: cols[0], OS: cols[1], Text: cols[2]})
		return nil
	})
	return fixes, err
}

// LoadRows reads every kept audit under dir (root/runtimes/observed) for
// the servers of the manifest. A file that is not an audit of the server
// it is named for is an error.
func LoadRows(dir string, servers []Server) ([]report.RuntimeRow, error) {
	var rows []report.RuntimeRow
	for _, s := range servers {
		row := report.RuntimeRow{Name: s.Name, Title: s.Title, Runtime: s.Runtime(), Audits: map[string]*matrix.Audit{}}
		for _, plat := range report.RuntimePlatforms {
			file := filepath.Join(dir, plat, s.Name+".json")
			data, err := readAudit(file)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			a, err := matrix.DecodeAudit(file, data)
			if err != nil {
				return nil, err
			}
			if a.Runtime == nil || a.Runtime.Server != s.Name || a.Platform.Name != plat {
				return nil, &matrix.InputError{File: file, Msg: fmt.Sprintf("not an audit of %s on %s (bindmatrix runtimes writes those)", s.Name, plat)}
			}
			row.Audits[plat] = a
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// readAudit reads a kept audit, no more of it than an audit can be.
func readAudit(file string) ([]byte, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, &matrix.InputError{File: file, Msg: err.Error()}
	}
	defer f.Close()
	return matrix.ReadLimited(file, f, matrix.MaxAuditSize, "an audit")
}

// DaemonsFile annotates the daemons of the manifest: each one's knob and
// how production differs; WineFile says how each server runs under Wine,
// or why it does not.
const (
	DaemonsFile = Dir + "/daemons.txt"
	WineFile    = Dir + "/wine.txt"
)

// ParseDaemons reads daemons.txt: "server | knob | production | windows",
// "-" for nothing to say. The servers it names are the daemons.
func ParseDaemons(file string, data []byte, servers []Server) (map[string]report.DaemonNote, error) {
	notes := map[string]report.DaemonNote{}
	err := lines(file, data, func(n int, line string) error {
		cols, err := columns(file, n, line, "server", "knob", "production", "windows")
		if err != nil {
			return err
		}
		switch {
		case !slices.ContainsFunc(servers, func(s Server) bool { return s.Name == cols[0] }):
			return &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("no server %q in %s", cols[0], ManifestFile)}
		case notes[cols[0]] != (report.DaemonNote{}):
			return &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("server %q is listed twice", cols[0])}
		}
		dash := func(s string) string {
			if s == "-" {
				return ""
			}
			return s
		}
		notes[cols[0]] = report.DaemonNote{Knob: dash(cols[1]), Production: dash(cols[2]), Windows: dash(cols[3])}
		return nil
	})
	return notes, err
}

// WineWay is how a server runs under Wine: Run, a command line like the
// manifest's (with {npmwin} for runtimes/npm-windows' node_modules), or
// Not, why it does not.
type WineWay struct {
	Run, Not string
}

// ParseWine reads wine.txt: "server | run | COMMAND" or "server | not |
// WHY". A server built with go build needs no line: its build targets
// Windows.
func ParseWine(file string, data []byte, servers []Server) (map[string]WineWay, error) {
	ways := map[string]WineWay{}
	err := lines(file, data, func(n int, line string) error {
		cols, err := columns(file, n, line, "server", "how", "text")
		if err != nil {
			return err
		}
		bad := func(format string, args ...any) error {
			return &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf(format, args...)}
		}
		if !slices.ContainsFunc(servers, func(s Server) bool { return s.Name == cols[0] }) {
			return bad("no server %q in %s", cols[0], ManifestFile)
		}
		if _, ok := ways[cols[0]]; ok {
			return bad("server %q is listed twice", cols[0])
		}
		switch cols[1] {
		case "run":
			if !strings.Contains(cols[2], "{port}") {
				return bad("run must take {port}")
			}
			ways[cols[0]] = WineWay{Run: cols[2]}
		case "not":
			ways[cols[0]] = WineWay{Not: cols[2]}
		default:
			return bad("how %q (valid: run, not)", cols[1])
		}
		return nil
	})
	return ways, err
}
