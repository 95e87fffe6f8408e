// Package runtimes knows the reference servers of runtimes/ (the
// smallest server of each runtime's default listening API) and audits each
// here or under Wine, for the runtime table (docs/runtime-table.md).
//
// The servers themselves are files of the repository: this package reads
// runtimes/manifest.txt to learn how to build and run each, and so runs
// from the repository root.
package runtimes

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Dir holds the reference servers, relative to the repository root.
const Dir = "runtimes"

// ManifestFile lists the reference servers.
const ManifestFile = Dir + "/manifest.txt"

// NPMDir is where .ci/run installs the runtimes of the npm registry
// (npm ci in runtimes/npm, from its lockfile): {npm} in the manifest.
const NPMDir = Dir + "/npm/node_modules"

// NPMWindowsDir holds the Windows builds of the same runtimes, for the
// Wine column (npm ci --os=win32 --cpu=x64 in runtimes/npm-windows):
// {npmwin} in wine.txt.
const NPMWindowsDir = Dir + "/npm-windows/node_modules"

// ObservedDir holds the audits of the reference servers, one directory per
// platform, one file per server.
const ObservedDir = Dir + "/observed"

// Server is one line of the manifest.
type Server struct {
	Name, Title, Dir, Version, Needs, Build, Config, Run string
	Line                                                 int
}

var manifestColumns = []string{"name", "title", "dir", "version", "needs", "build", "config", "run"}

var (
	serverName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	versionNum = regexp.MustCompile(`\d+(\.\d+)+`)
)

// ParseManifest reads the manifest. Every defect is an *InputError naming
// file:line.
func ParseManifest(file string, data []byte) ([]Server, error) {
	var servers []Server
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if strings.HasSuffix(line, "\r") {
			return nil, &matrix.InputError{File: file, Line: n, Msg: "carriage return at end of line: the file has CRLF line endings"}
		}
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cols := strings.Split(line, " | ")
		if len(cols) != len(manifestColumns) {
			return nil, &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("want %d columns separated by \" | \" (%s), found %d",
				len(manifestColumns), strings.Join(manifestColumns, ", "), len(cols))}
		}
		for j := range cols {
			cols[j] = strings.TrimSpace(cols[j])
			if cols[j] == "" {
				return nil, &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("column %s is empty (write - for none)", manifestColumns[j])}
			}
		}
		s := Server{Name: cols[0], Title: cols[1], Dir: cols[2], Version: cols[3], Needs: cols[4], Build: cols[5], Config: cols[6], Run: cols[7], Line: n}
		switch {
		case !serverName.MatchString(s.Name):
			return nil, &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("name %q: lower case letters, digits and '-' only", s.Name)}
		case slices.ContainsFunc(servers, func(o Server) bool { return o.Name == s.Name }):
			return nil, &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("server %q is listed twice", s.Name)}
		case !versionNum.MatchString(s.Needs) && !regexp.MustCompile(`^\d+$`).MatchString(s.Needs):
			return nil, &matrix.InputError{File: file, Line: n, Msg: fmt.Sprintf("needs %q is not a version number", s.Needs)}
		case !strings.Contains(s.Run, "{port}") && !strings.Contains(s.Config, "."):
			return nil, &matrix.InputError{File: file, Line: n, Msg: "run must take {port}, or config must give it"}
		}
		servers = append(servers, s)
	}
	if len(servers) == 0 {
		return nil, &matrix.InputError{File: file, Msg: "no servers"}
	}
	return servers, nil
}

// Select keeps the servers named, in manifest order; an unknown name is an
// error listing the known ones.
func Select(servers []Server, names []string) ([]Server, error) {
	if len(names) == 0 {
		return servers, nil
	}
	var out []Server
	for _, n := range names {
		i := slices.IndexFunc(servers, func(s Server) bool { return s.Name == n })
		if i < 0 {
			var known []string
			for _, s := range servers {
				known = append(known, s.Name)
			}
			return nil, fmt.Errorf("unknown server %q (known: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, servers[i])
	}
	return out, nil
}

// versionOf finds the version number in what a version command printed:
// "go version go1.26.8 linux/amd64" → 1.26.8, "v20.20.2" → 20.20.2,
// `openjdk version "17.0.15"` → 17.0.15.
func versionOf(text string) string { return versionNum.FindString(text) }

// atLeast says whether version have is need or later.
func atLeast(have, need string) bool {
	h, n := strings.Split(have, "."), strings.Split(need, ".")
	for i := range max(len(h), len(n)) {
		var a, b int
		if i < len(h) {
			a, _ = strconv.Atoi(h[i])
		}
		if i < len(n) {
			b, _ = strconv.Atoi(n[i])
		}
		if a != b {
			return a > b
		}
	}
	return true
}

// placeholder is a {name} in a build, run or config line.
var placeholder = regexp.MustCompile(`\{([a-z]+)\}`)

// fill puts values into a line's {placeholders}; other braces (nginx's
// blocks) stay as they are.
func fill(line string, values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(line, func(m string) string {
		if v, ok := values[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}
