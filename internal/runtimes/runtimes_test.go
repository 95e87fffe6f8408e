package runtimes

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// TestCheckedInFilesParse: the manifest, the defaults and the fixes read
// back, every server has a directory with its files, and every claim
// names a server of the manifest.

// dataDir is runtimes/, seen from this package.
var dataDir = filepath.Join("..", "..", Dir)

func TestCheckedInFilesParse(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(dataDir, "manifest.txt"))
	if err != nil {
		t.Fatal(err)
	}
	servers, err := ParseManifest("manifest.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		if _, err := os.Stat(filepath.Join(dataDir, s.Dir)); err != nil {
			t.Errorf("%s: directory %s: %v", s.Name, s.Dir, err)
		}
		for _, word := range append(strings.Fields(s.Run), s.Config) {
			if strings.Contains(word, ".") && !strings.Contains(word, "{") && !strings.HasPrefix(word, "-") {
				if _, err := os.Stat(filepath.Join(dataDir, s.Dir, word)); err != nil {
					t.Errorf("%s: %s names %s, which %s lacks", s.Name, s.Run, word, s.Dir)
				}
			}
		}
	}
	defaults, _ := os.ReadFile(filepath.Join(dataDir, "defaults.txt"))
	claims, err := ParseDefaults("defaults.txt", defaults, servers)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) == 0 {
		t.Error("no claims in defaults.txt")
	}
	fixes, _ := os.ReadFile(filepath.Join(dataDir, "fixes.txt"))
	if _, err := ParseFixes("fixes.txt", fixes); err != nil {
		t.Fatal(err)
	}
}

func TestParseManifestRefusesBadLines(t *testing.T) {
	good := "go-x | Go x | go | go version | 1.21 | - | - | x {port}\n"
	for name, line := range map[string]string{
		"columns":     "go-x | Go x | go\n",
		"empty":       "go-x | Go x | go | go version | 1.21 |  | - | x {port}\n",
		"bad name":    "Go X | Go x | go | go version | 1.21 | - | - | x {port}\n",
		"bad version": "go-x | Go x | go | go version | new | - | - | x {port}\n",
		"no port":     "go-x | Go x | go | go version | 1.21 | - | - | x\n",
		"twice":       good + good,
		"crlf":        strings.Replace(good, "\n", "\r\n", 1),
	} {
		_, err := ParseManifest("m.txt", []byte("# heading\n"+line))
		var ie *matrix.InputError
		if !errors.As(err, &ie) || ie.File != "m.txt" || ie.Line < 2 {
			t.Errorf("%s: %v, want an error at m.txt:2 or later", name, err)
		}
	}
	if _, err := ParseManifest("m.txt", []byte("# only comments\n")); err == nil {
		t.Error("a manifest without servers was accepted")
	}
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		printed, need string
		ok            bool
	}{
		{"go version go1.26.8 linux/amd64", "1.21", true},
		{"v20.20.2", "22.12", false},
		{"v22.12.0", "22.12", true},
		{`openjdk version "17.0.15" 2025-04-15`, "11.0", true},
		{"nginx version: nginx/1.22.1", "1.19.5", true},
		{"Python 3.5.2", "3.6", false},
	} {
		if got := atLeast(versionOf(tc.printed), tc.need); got != tc.ok {
			t.Errorf("%q at least %s: %v, want %v", tc.printed, tc.need, got, tc.ok)
		}
	}
}

func TestFillLeavesOtherBracesAlone(t *testing.T) {
	got := fill("events {} http { listen {port}; root {dir}; x {unknown}; }", map[string]string{"port": "80", "dir": "/d"})
	if want := "events {} http { listen 80; root /d; x {unknown}; }"; got != want {
		t.Errorf("fill = %q, want %q", got, want)
	}
}

func TestParseDefaultsRefusesUnknownNames(t *testing.T) {
	servers := []Server{{Name: "go-x"}}
	for name, line := range map[string]string{
		"server": "cobol | unix | none | src",
		"os":     "go-x | plan9 | none | src",
		"option": "go-x | unix | SO_REUSEADR | src",
	} {
		if _, err := ParseDefaults("d.txt", []byte(line+"\n"), servers); err == nil {
			t.Errorf("%s: %q was accepted", name, line)
		}
	}
}

// TestLoadRowsRefusesAMisplacedAudit: an audit kept under another server's
// or platform's name would put a verdict in the wrong cell.
func TestLoadRowsRefusesAMisplacedAudit(t *testing.T) {
	dir := testenv.TempDir(t)
	os.MkdirAll(filepath.Join(dir, "linux"), 0o755)
	a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: matrix.Platform{Name: "linux"}, Verdict: matrix.AuditIncomplete,
		Runtime: &matrix.RuntimeRun{Server: "other", Date: "2026-11-24", Missing: "x"}}
	var b strings.Builder
	a.Encode(&b)
	os.WriteFile(filepath.Join(dir, "linux", "go-x.json"), []byte(b.String()), 0o644)
	if _, err := LoadRows(dir, []Server{{Name: "go-x", Title: "Go x"}}); err == nil || !strings.Contains(err.Error(), "not an audit of go-x") {
		t.Errorf("err %v, want one saying the file is not go-x's", err)
	}
}

// TestLoadRowsRefusesAHugeFile: a kept audit is read no further than an
// audit can be, and the error names the file.
func TestLoadRowsRefusesAHugeFile(t *testing.T) {
	dir := testenv.TempDir(t)
	os.MkdirAll(filepath.Join(dir, "linux"), 0o755)
	file := filepath.Join(dir, "linux", "go-x.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(matrix.MaxAuditSize + 1)
	f.Close()
	var ie *matrix.InputError
	if _, err := LoadRows(dir, []Server{{Name: "go-x", Title: "Go x"}}); !errors.As(err, &ie) || ie.File != file || !strings.Contains(err.Error(), "not an audit") {
		t.Errorf("err %v, want an input error saying %s is not an audit", err, file)
	}
}

// TestDaemonsAndWineLinesParse: daemons.txt and wine.txt read back, and
// every server of the manifest that go build does not make has a wine.txt
// line: run under Wine, or the reason it is not, never a blank cell.
func TestDaemonsAndWineLinesParse(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(dataDir, "manifest.txt"))
	servers, err := ParseManifest("manifest.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	daemons, _ := os.ReadFile(filepath.Join(dataDir, "daemons.txt"))
	notes, err := ParseDaemons("daemons.txt", daemons, servers)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) < 10 {
		t.Errorf("daemons.txt names %d daemons, want at least 10", len(notes))
	}
	wine, _ := os.ReadFile(filepath.Join(dataDir, "wine.txt"))
	ways, err := ParseWine("wine.txt", wine, servers)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		if _, ok := ways[s.Name]; !ok && !strings.HasPrefix(s.Build, "go build") {
			t.Errorf("%s: no line in wine.txt says how it runs under Wine or why not", s.Name)
		}
	}
}

func TestParseDaemonsAndWineRefuseBadLines(t *testing.T) {
	servers := []Server{{Name: "haproxy"}}
	for name, line := range map[string]string{
		"columns": "haproxy | knob | production",
		"server":  "cobol | - | - | -",
		"twice":   "haproxy | a | - | -\nhaproxy | b | - | -",
	} {
		if _, err := ParseDaemons("d.txt", []byte(line+"\n"), servers); err == nil {
			t.Errorf("daemons.txt %s: %q was accepted", name, line)
		}
	}
	for name, line := range map[string]string{
		"how":     "haproxy | maybe | x {port}",
		"no port": "haproxy | run | haproxy.exe",
		"server":  "cobol | not | no build",
		"twice":   "haproxy | not | a\nhaproxy | not | b",
	} {
		if _, err := ParseWine("w.txt", []byte(line+"\n"), servers); err == nil {
			t.Errorf("wine.txt %s: %q was accepted", name, line)
		}
	}
}

// TestOtherOwners: a daemon that made its sockets as another user (named
// -u bind, postgres) is audited again as that user; root and the users
// already tried are not added.
func TestOtherOwners(t *testing.T) {
	a := &matrix.Audit{Sockets: []matrix.AuditSocket{{User: "bind"}, {User: "root"}, {User: "bind"}, {User: "nobody"}, {User: "postgres"},
		{User: "caddy", Attempts: []matrix.Attempt{{User: "caddy"}}}}}
	got := otherOwners(a, []string{"nobody"})
	if strings.Join(got, ",") != "bind,postgres" {
		t.Errorf("otherOwners = %v, want bind, postgres (caddy's socket was tried as caddy already)", got)
	}
}

// TestOnlyPortRefusesStrangersUnderWine: under Wine a socket that appeared
// while the server started is taken for the server's; an audit holding one
// on another port is not kept (seen here: another engineer's named on
// 127.0.0.1:953 and :15354 in an audit of Node's server).
func TestOnlyPortRefusesStrangersUnderWine(t *testing.T) {
	ap := netip.MustParseAddrPort
	mine := &matrix.Audit{Sockets: []matrix.AuditSocket{{Proto: matrix.TCP, Address: ap("[::]:4000")}}}
	if err := onlyPort(mine, 4000); err != nil {
		t.Errorf("the server's own socket: %v", err)
	}
	mixed := &matrix.Audit{Sockets: []matrix.AuditSocket{{Proto: matrix.TCP, Address: ap("[::]:4000")}, {Proto: matrix.TCP, Address: ap("127.0.0.1:953")}}}
	if err := onlyPort(mixed, 4000); err == nil || !strings.Contains(err.Error(), "127.0.0.1:953") {
		t.Errorf("an audit with another program's socket: %v, want an error naming it", err)
	}
}

// TestFromNPM: a bare command is runtimes/npm's where npm ci installed it,
// and PATH's otherwise (a runner's own Node where the lockfile's Linux
// build does not run); a path stays as written.
func TestFromNPM(t *testing.T) {
	npm := testenv.TempDir(t)
	os.MkdirAll(filepath.Join(npm, ".bin"), 0o755)
	os.WriteFile(filepath.Join(npm, ".bin", "node"), []byte("#!/bin/sh\n"), 0o755)
	for _, tc := range []struct{ name, want string }{
		{"node", filepath.Join(npm, ".bin", "node")},
		{"python3", "python3"},
		{"/usr/bin/node", "/usr/bin/node"},
	} {
		if got := fromNPM(tc.name, npm); got != tc.want {
			t.Errorf("fromNPM(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
