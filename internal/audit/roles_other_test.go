//go:build !linux

package audit

import "github.com/bindmatrix/bindmatrix/internal/reexec"

// osRoles are the test servers of this OS's tests.
var osRoles []reexec.Role
