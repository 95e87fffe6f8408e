package matrix

import (
	"strings"
	"testing"
)

func TestAllCellsIsTheFullCrossProduct(t *testing.T) {
	cells := AllCells()
	// 2 families × 4 address pairs × 5 states × 4 × 4 options.
	if len(cells) != 640 {
		t.Fatalf("AllCells has %d cells, want 640", len(cells))
	}
	names := map[string]bool{}
	for i, c := range cells {
		if names[c.Name()] {
			t.Fatalf("duplicate cell name %s", c.Name())
		}
		names[c.Name()] = true
		if i > 0 && cells[i-1].Compare(c) >= 0 {
			t.Fatalf("cells %s and %s are out of canonical order", cells[i-1], c)
		}
	}
}

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{"", 640},
		{"proto=tcp", 640},
		{"state=listening", 128},
		{"state=listening,family=ipv6", 64},
		{"state=bound,state=listening", 256},
		{"first=SO_REUSEADDR,second=SO_REUSEADDR,first_addr=wildcard,second_addr=specific", 10},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := ParseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(f.Select(AllCells())); got != tc.want {
				t.Errorf("selects %d cells, want %d", got, tc.want)
			}
		})
	}
}

func TestFilterErrorsListValidChoices(t *testing.T) {
	for _, tc := range []struct{ filter, mention string }{
		{"colour=red", "first_addr"},
		{"state=listen", "time_wait"},
		{"state", "key=value"},
		{"first=reuseaddr", "SO_REUSEADDR"},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			_, err := ParseFilter(tc.filter)
			if err == nil {
				t.Fatalf("ParseFilter(%q) succeeded", tc.filter)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}
