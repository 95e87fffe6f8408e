package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/atomicfile"
	"github.com/bindmatrix/bindmatrix/internal/runtimes"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func cmdRuntimes(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("runtimes", "Audit every reference server of "+runtimes.Dir+"/ (-restart, with delivery) and keep each audit in\n"+
		runtimes.ObservedDir+"/PLATFORM/NAME.json, for the runtime table. Run from the repository root.", stderr)
	only := fs.String("only", "", "audit only the servers named, `NAME,...`")
	under := fs.String("under", "", "audit the Windows builds under `wine`")
	wait := fs.Duration("wait", 20*time.Second, "how long a server may take to listen")
	out := fs.String("o", runtimes.ObservedDir, "keep the audits under `DIR`/PLATFORM/")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if *under != "" && *under != "wine" {
		return exitBadInput, usageErrorf("-under %q: the reference servers run here or under wine", *under)
	}
	data, err := os.ReadFile(runtimes.ManifestFile)
	if err != nil {
		return exitBadInput, usageErrorf("no %s here: run from the repository root (%v)", runtimes.ManifestFile, err)
	}
	servers, err := runtimes.ParseManifest(runtimes.ManifestFile, data)
	if err != nil {
		return exitBadInput, err
	}
	all := servers
	var names []string
	if *only != "" {
		names = strings.Split(*only, ",")
	}
	if servers, err = runtimes.Select(servers, names); err != nil {
		return exitBadInput, usageErrorf("-only: %v", err)
	}
	var wine map[string]runtimes.WineWay
	if *under == "wine" {
		data, err := os.ReadFile(runtimes.WineFile)
		if err != nil {
			return exitBadInput, usageErrorf("no %s here: run from the repository root (%v)", runtimes.WineFile, err)
		}
		if wine, err = runtimes.ParseWine(runtimes.WineFile, data, all); err != nil {
			return exitBadInput, err
		}
	}
	root, _ := os.Getwd()
	code := exitAgree
	for _, s := range servers {
		a, err := runtimes.Observe(ctx, s, runtimes.Options{Root: root, Under: *under, Wait: *wait, Log: stderr, Today: time.Now(), Wine: wine})
		if ctx.Err() != nil {
			return exitIncomplete, context.Cause(ctx) // an interrupted audit is not kept
		}
		if err != nil {
			fmt.Fprintf(stderr, "bindmatrix runtimes: %v\n", err)
			code = exitIncomplete
			continue
		}
		file := filepath.Join(*out, a.Platform.Name, s.Name+".json")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return exitBadInput, err
		}
		var b strings.Builder
		if err := a.Encode(&b); err != nil {
			return exitBadInput, err
		}
		if err := atomicfile.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			return exitBadInput, err
		}
		fmt.Fprintf(stdout, "%-22s %s\n", s.Name, runtimeSummary(a))
	}
	return code, nil
}

// runtimeSummary is one audit in a few words, as the runtime table shows it.
func runtimeSummary(a *matrix.Audit) string {
	if a.Runtime != nil && a.Runtime.Missing != "" {
		return a.Runtime.Missing
	}
	verdict := matrix.Exclusive
	for _, s := range a.Sockets {
		if s.Verdict != matrix.Exclusive && verdict != matrix.Hijackable {
			verdict = s.Verdict
		}
	}
	line := string(verdict)
	if len(a.Sockets) == 0 {
		line = "incomplete: " + a.Note
	}
	if a.Restart != nil {
		line += ", restart " + string(a.Restart.Verdict)
	}
	return line
}
