package inventory

import "slices"

// descendants is root and everything below it in a parent → children map,
// sorted.
func descendants(root int, children map[int][]int) []int {
	out := []int{root}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i]] {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}
