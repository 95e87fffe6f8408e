package matrix

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// KernelsDir holds the kernels' override tables, under the expected
// tables' directory. A kernel whose runs differ from its platform's table
// in a way the project has documented (a kernel bug, a backport not yet
// landed) gets one: the platform's table stays the semantics of current
// mainline, and the override holds only the cells where those kernels
// answer otherwise, naming the releases ('kernel RELEASE', one line each,
// every one observed), the deviations that explain them, and who observed
// them. An override need not be complete; every cell in it must be one of
// the platform's.
const KernelsDir = "kernels"

// ReadOverride finds the override table of platform that names kernel
// release, under dir/kernels of fsys. It returns nil, nil when none does.
func ReadOverride(fsys fs.FS, dir, platform, release string) (*Table, error) {
	entries, err := fs.ReadDir(fsys, KernelsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &InputError{File: path.Join(filepath.ToSlash(dir), KernelsDir), Msg: err.Error()}
	}
	var found *Table
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		o, err := readOverride(fsys, dir, e.Name())
		if err != nil {
			return nil, err
		}
		if o.Platform != platform || !slices.Contains(o.Kernels, release) {
			continue
		}
		if found != nil {
			return nil, inputErrorf(o.File, 0, 0, "kernel %s is named by %s too: one override per kernel", release, found.File)
		}
		found = o
	}
	return found, nil
}

// Overrides reads every override table under dir/kernels of fsys.
func Overrides(fsys fs.FS, dir string) ([]*Table, error) {
	entries, err := fs.ReadDir(fsys, KernelsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &InputError{File: path.Join(filepath.ToSlash(dir), KernelsDir), Msg: err.Error()}
	}
	var out []*Table
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".txt") {
			o, err := readOverride(fsys, dir, e.Name())
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

func readOverride(fsys fs.FS, dir, name string) (*Table, error) {
	file := path.Join(filepath.ToSlash(dir), KernelsDir, name)
	data, err := fs.ReadFile(fsys, path.Join(KernelsDir, name))
	if err != nil {
		return nil, &InputError{File: file, Msg: err.Error()}
	}
	o, err := ParseTable(file, data)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Platform == "":
		return nil, inputErrorf(file, 0, 0, "no 'platform NAME' line")
	case len(o.Kernels) == 0:
		return nil, inputErrorf(file, 0, 0, "an override table names its kernels: 'kernel RELEASE', one line each")
	case len(o.Entries) == 0:
		return nil, inputErrorf(file, 0, 0, "an override table without cells overrides nothing")
	}
	return o, nil
}

// Overlay is t with o's cells in place of its own: what a kernel that o
// names is expected to do. Each entry says which file it came from, and
// the provenance is both tables'. A cell of o that t lacks is an error:
// an override changes answers, it does not widen the matrix.
func (t *Table) Overlay(o *Table) (*Table, error) {
	if o.Platform != t.Platform {
		return nil, fmt.Errorf("%s overrides platform %s, not %s", o.File, o.Platform, t.Platform)
	}
	out := *t
	out.File = t.File + " + " + o.File
	out.Provenance = append(slices.Clip(t.Provenance), o.Provenance...)
	out.Sources = append(slices.Clip(t.Sources), o.Sources...)
	out.Deviations = o.Deviations
	out.Kernels = o.Kernels
	out.Entries = maps.Clone(t.Entries)
	for c, e := range out.Entries {
		if e.File == "" {
			e.File = t.File
			out.Entries[c] = e
		}
	}
	for c, e := range o.Entries {
		if _, ok := t.Entries[c]; !ok {
			return nil, inputErrorf(o.File, e.Line, 1, "cell %s is not in %s", c, t.File)
		}
		e.File = o.File
		out.Entries[c] = e
	}
	return &out, nil
}

// Where names the file and line the entry came from, in a table whose own
// file is tableFile.
func (e Entry) Where(tableFile string) string {
	if e.File != "" {
		tableFile = e.File
	}
	return fmt.Sprintf("%s:%d", tableFile, e.Line)
}
