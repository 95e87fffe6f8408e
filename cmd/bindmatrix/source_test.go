package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// TestReadFileRefusesWhatIsNoObservation: a file far larger than any
// observation is refused without reading it all.
func TestReadFileRefusesWhatIsNoObservation(t *testing.T) {
	file := filepath.Join(testenv.TempDir(t), "huge.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(matrix.MaxObservationSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadFile(file)
	var ie *matrix.InputError
	if !errors.As(err, &ie) || ie.File != file || !strings.Contains(err.Error(), "not an observation") {
		t.Errorf("err %v, want an input error naming %s", err, file)
	}
	if _, err := ReadFile(filepath.Join(testenv.TempDir(t), "missing.json")); !errors.As(err, &ie) {
		t.Errorf("a missing file: %v", err)
	}
}

// TestSourceRefusesContradictions: what cannot be meant together is a usage
// error, before anything runs.
func TestSourceRefusesContradictions(t *testing.T) {
	for name, s := range map[string]Source{
		"file and lane": {Observed: "x.json", Under: "wine"},
		"kernel alone":  {Kernel: "vmlinuz"},
		"negative":      {Parallel: -1},
		"bad filter":    {Only: "colour=red"},
		"selects none":  {Only: "proto=udp,state=listening"},
	} {
		if _, err := s.Observation(context.Background()); !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
}
