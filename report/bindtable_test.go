package report

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// bindTableFixture is a documented table with a disputed cell and two
// observations from one kernel (two runners of one image), each small
// enough to read in the golden file.
func bindTableFixture(t *testing.T) []Column {
	t.Helper()
	table := matrix.NewTable("windows.txt", "windows")
	table.Provenance = []matrix.Provenance{{Kind: "documented", Text: "a vendor page"}}
	table.Scope, _ = matrix.ParseFilter("proto=tcp,family=ipv4,state=listening,state=established,process=same")
	for _, c := range table.Scope.Select(matrix.AllCells()) {
		table.Entries[c] = matrix.Entry{Outcome: "bind:EADDRINUSE"}
	}
	text := strings.Replace(string(table.Format()), "# proto",
		"source ex documented the vendor page\nsource run reported a real run elsewhere\n# proto", 1)
	disputed := regexp.MustCompile(`(?m)^tcp +ipv4 +established +specific +specific +SO_EXCLUSIVEADDRUSE +SO_EXCLUSIVEADDRUSE +bind:EADDRINUSE$`)
	if !disputed.MatchString(text) {
		t.Fatalf("the fixture's table has no line %s", disputed)
	}
	text = disputed.ReplaceAllLiteralString(text,
		"tcp ipv4 established specific specific SO_EXCLUSIVEADDRUSE SO_EXCLUSIVEADDRUSE ok documented=bind:EADDRINUSE@ex reported=ok@run")
	parsed, err := matrix.ParseTable("windows.txt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	obs := &matrix.Observation{Platform: matrix.Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.1.0-27-cloud-amd64", Go: "go1.26.8"}}
	for _, c := range []matrix.Cell{
		matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.Listening, matrix.Specific, matrix.Specific, matrix.None, matrix.None),
		matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.Listening, matrix.Specific, matrix.Specific, matrix.ReusePort, matrix.ReusePort),
	} {
		r := matrix.Result{Cell: c, Outcome: "bind:EADDRINUSE"}
		if c.First == matrix.ReusePort {
			r.Outcome, r.Delivery = matrix.OK, "both"
		}
		obs.Cells = append(obs.Cells, r)
	}
	cols := []Column{TableColumn(parsed), ObservationColumn(obs), ObservationColumn(obs)}
	SortColumns(cols)
	return cols
}

func TestBindTableMatchesGoldenFile(t *testing.T) {
	pages, err := BindTable(bindTableFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, page := range pages {
		b.WriteString("-- " + page.Path + " --\n")
		b.Write(page.Data)
	}
	golden(t, filepath.Join("testdata", "bindtable.golden"), b.String())
}

// TestBindTablePages: the summary comes first and links to one page per
// column, named for the column; two columns of one name get two pages.
func TestBindTablePages(t *testing.T) {
	pages, err := BindTable(bindTableFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, page := range pages {
		paths = append(paths, page.Path)
	}
	want := []string{"bind-table.md", "bind-table/linux-observed-6.1.0-27-cloud-amd64.md",
		"bind-table/linux-observed-6.1.0-27-cloud-amd64-2.md", "bind-table/windows.md"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("pages %q, want %q", paths, want)
	}
	summary := string(pages[0].Data)
	for _, path := range want[1:] {
		if !strings.Contains(summary, "]("+path+")") {
			t.Errorf("the summary does not link to %s", path)
		}
	}
	for _, page := range pages[1:] {
		if !strings.Contains(string(page.Data), "](../bind-table.md)") {
			t.Errorf("%s does not link back to the summary", page.Path)
		}
	}
	if windows := string(pages[3].Data); !strings.Contains(windows, "1 cells are **disputed**") {
		t.Errorf("the windows page does not count its disputed cell:\n%s", windows)
	}
}

func TestPageSlug(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"linux", "linux"},
		{"linux (observed 6.18.44-fc-v782)", "linux-observed-6.18.44-fc-v782"},
		{"wine (observed wine-8.0 on Linux 6.18)", "wine-observed-wine-8.0-on-linux-6.18"},
		{"  ", "platform"},
		{"a/b\\c", "a-b-c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pageSlug(tc.name); got != tc.want {
				t.Errorf("pageSlug(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
