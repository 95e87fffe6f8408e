package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// TestMarkdownLinksResolve: every relative link in README.md and the pages
// under docs/ names a file that exists and, with #anchor, a heading in it.
func TestMarkdownLinksResolve(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(root, "README.md")}
	err = filepath.WalkDir(filepath.Join(root, DocsDir), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range brokenLinks(t, files) {
		t.Error(problem)
	}
}

// TestBrokenLinksAreFound: the link check finds a missing file, a missing
// anchor, and passes what exists, code spans and blocks, and URLs.
func TestBrokenLinksAreFound(t *testing.T) {
	dir := testenv.TempDir(t) // Go's cleanup cannot delete under Wine (testing.md)
	write := func(name, text string) string {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	write("b.md", "# The `audit`: in three lines\n\n## Exit codes\n\n## Exit codes\n")
	a := write("a.md", "[ok](b.md) [ok](b.md#the-audit-in-three-lines) [ok](#a-page) [ok](b.md#exit-codes-1)\n"+
		"# A page\n`[not a link](nowhere.md)` [web](https://example.com/x.md)\n"+
		"```\n[not a link](nowhere.md)\n```\n"+
		"[gone](c.md) [no anchor](b.md#nothing)\n")
	got := brokenLinks(t, []string{a})
	want := []string{
		fmt.Sprintf("%s:7: link to c.md: no such file", a),
		fmt.Sprintf("%s:7: link to b.md#nothing: no heading #nothing there", a),
	}
	if !slices.Equal(got, want) {
		t.Errorf("brokenLinks =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

var (
	mdLink   = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	codeSpan = regexp.MustCompile("`[^`]*`")
)

// brokenLinks reads each Markdown file and lists its relative links whose
// file or heading does not exist, as file:line: link to TARGET: why.
func brokenLinks(t *testing.T, files []string) []string {
	t.Helper()
	var problems []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inFence := false
		for n, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inFence = !inFence
				continue
			}
			if inFence {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
				}
				if _, err := os.Stat(dest); err != nil {
					problems = append(problems, fmt.Sprintf("%s:%d: link to %s: no such file", file, n+1, target))
					continue
				}
				if anchor != "" && !slices.Contains(anchors(t, dest), anchor) {
					problems = append(problems, fmt.Sprintf("%s:%d: link to %s: no heading #%s there", file, n+1, target, anchor))
				}
			}
		}
	}
	return problems
}

// anchors lists the anchors GitHub gives a Markdown file's headings: the
// heading's text in lower case, without punctuation, spaces as hyphens, and
// -1, -2, ... on repeats.
func anchors(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	seen := map[string]int{}
	inFence := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
		}
		text, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if inFence || !strings.HasPrefix(line, "#") || !ok {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", slug, n))
		} else {
			out = append(out, slug)
		}
		seen[slug]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
