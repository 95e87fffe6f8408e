package audit

import (
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func hostOS() string { return host.Platform().Name }

// fixFor says, in one line per cause, how to make a hijackable socket
// exclusive on platform, from the attempts that took its traffic: the
// platform registry's fixes that apply (matrix.PlatformFacts.Fixes). Each
// claim names its source.
func fixFor(platform string, s matrix.AuditSocket) string {
	var fixes []string
	for _, f := range matrix.FactsOf(platform).Fixes {
		if f.Applies(s) {
			fixes = append(fixes, f.Text)
		}
	}
	if len(fixes) == 0 {
		fixes = append(fixes, "another process took some of this socket's traffic with the attempts marked above; no fix is known to this tool for that case on "+platform)
	}
	return strings.Join(fixes, "; ")
}
