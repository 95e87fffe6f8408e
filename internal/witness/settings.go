package witness

import (
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// settingsNote reads, with read, the host settings the platform registry
// names for platform that keep state from being reached, and names those
// that do not hold the value the cells need. A setting that cannot be read
// (an older kernel without it) says nothing: the note names only what was
// read.
func settingsNote(platform string, state matrix.State, read func(name string) (uint32, error)) string {
	var notes []string
	for _, s := range matrix.FactsOf(platform).Settings {
		if s.State != state {
			continue
		}
		if have, err := read(s.Sysctl); err == nil && have != s.Want {
			notes = append(notes, s.Note(have))
		}
	}
	return strings.Join(notes, "; ")
}
