package matrix

import (
	"strings"
	"testing"
)

func TestAllCellsIsTheFullCrossProduct(t *testing.T) {
	cells := AllCells()
	// Per option pair (16) and address pair (4): TCP ipv4+ipv6 over 5 states
	// (640), UDP over 2 (256), three dual family pairs for TCP (960) and UDP
	// (384): 2240 cells, for this process, another process and another user.
	if len(cells) != 3*2240 {
		t.Fatalf("AllCells has %d cells, want %d", len(cells), 3*2240)
	}
	if n := len(AllCellsOn("windows")); n != 2*2240 {
		t.Errorf("Windows has %d cells, want %d: no other-user cells there", n, 2*2240)
	}
	for _, c := range cells {
		if err := c.Valid(); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
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
		{"", 3 * 2240},
		{"proto=tcp,process=same,family=ipv4,family=ipv6", 640},
		{"proto=udp,family=ipv4,family=ipv6", 3 * 256},
		{"state=listening,family=ipv4,family=ipv6,process=same", 128},
		{"state=listening,family=ipv6", 3 * 64},
		{"proto=udp,state=listening", 0},
		{"family=dual,first_family=ipv4", 3 * 4 * 7 * 16},
		{"process=other", 2*4*(5+2)*16 + 3*4*7*16}, // naming a process opens its whole matrix
		{"process=other-user,proto=tcp,family=ipv4", 4 * 5 * 16},
		{"first=SO_REUSEADDR,second=SO_REUSEADDR,first_addr=wildcard,second_addr=specific,process=same,family=ipv4,family=ipv6", 14},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := ParseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(f.Cells()); got != tc.want {
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
