//go:build !windows

package host

// UnderWine says this Windows program runs under Wine; this is no Windows
// program.
func UnderWine() bool { return false }
