// Package host says what machine this is, as an observation's platform
// block records it: the OS and architecture, the kernel's release, the Go
// version, and the name that selects the expected table. Under Wine the
// name is "wine", never "windows".
package host
