// Package runner runs the cells of the bind matrix on the machine it runs
// on: for each cell it takes a clean port, walks a first socket into the
// cell's state and proves it (package walk, with a witness), makes the
// second socket's attempt in this process or in a helper process (package
// child), checks who receives the traffic when both could (package
// deliver), and records the answer with its evidence.
//
// The socket calls, per OS, live in package sock; this package only decides
// what a cell does and what its answer is.
package runner
