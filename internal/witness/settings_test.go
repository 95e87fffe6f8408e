package witness

import (
	"errors"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestSettingsNoteNamesNolocaltimewait: on FreeBSD, a time_wait cell left
// unreached names net.inet.tcp.nolocaltimewait when it is not 0, and says
// nothing when it is 0 or cannot be read; no other state, and no platform
// without such a setting, reads anything.
func TestSettingsNoteNamesNolocaltimewait(t *testing.T) {
	const sysctl = "net.inet.tcp.nolocaltimewait"
	for _, tc := range []struct {
		name     string
		platform string
		state    matrix.State
		value    uint32
		err      error
		want     string // "" for no note
	}{
		{"on", "freebsd", matrix.TimeWait, 1, nil, sysctl + "=1"},
		{"off", "freebsd", matrix.TimeWait, 0, nil, ""},
		{"unreadable", "freebsd", matrix.TimeWait, 1, errors.New("no such sysctl"), ""},
		{"other-state", "freebsd", matrix.Established, 1, nil, ""},
		{"darwin", "darwin", matrix.TimeWait, 1, nil, ""},
		{"linux", "linux", matrix.TimeWait, 1, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			read := func(name string) (uint32, error) {
				asked = append(asked, name)
				return tc.value, tc.err
			}
			note := settingsNote(tc.platform, tc.state, read)
			if tc.want == "" && note != "" || tc.want != "" && !strings.Contains(note, tc.want) {
				t.Errorf("note %q, want one holding %q", note, tc.want)
			}
			if tc.want != "" && !strings.Contains(note, "sysctl "+sysctl+"=0") {
				t.Errorf("note %q does not say how to set it", note)
			}
			if (tc.platform != "freebsd" || tc.state != matrix.TimeWait) && len(asked) > 0 {
				t.Errorf("read %v, which %s's registry row does not name for %s", asked, tc.platform, tc.state)
			}
		})
	}
}

// noting is a costly witness with a note.
type noting struct {
	tables
	note string
}

func (n *noting) TimeWaitNote() string { return n.note }

// TestSharedPassesTheNoteOn: the runner shares a costly witness (netstat),
// so the shared one must give the note of the one it shares.
func TestSharedPassesTheNoteOn(t *testing.T) {
	s, ok := NewShared(&noting{note: "net.inet.tcp.nolocaltimewait=1: ..."})
	if !ok {
		t.Fatal("a witness with Snapshot is not shared")
	}
	if got := TimeWaitNote(s); got != "net.inet.tcp.nolocaltimewait=1: ..." {
		t.Errorf("TimeWaitNote(shared) = %q", got)
	}
	if got := TimeWaitNote(None{}); got != "" {
		t.Errorf("TimeWaitNote(None) = %q, want none", got)
	}
}
