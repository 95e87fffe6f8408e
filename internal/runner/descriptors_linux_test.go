package runner

import "os"

// openDescriptors lists this process's open file descriptors, each with
// what it refers to ("7 socket:[123456]"), so that a descriptor closed and
// another opened under its number differ.
func openDescriptors() (map[string]bool, error) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	open := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // closed since the listing: the listing's own descriptor
		}
		open[e.Name()+" "+target] = true
	}
	return open, nil
}
