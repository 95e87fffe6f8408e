package lane

import (
	"fmt"
	"io"
	"strings"
)

// cpioWriter writes the "newc" cpio format the Linux kernel unpacks as an
// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
// per entry a 110-byte ASCII header of hex fields, the NUL-terminated name
// and the data, each padded to 4 bytes; a "TRAILER!!!" entry ends it.
type cpioWriter struct {
	w     io.Writer
	inode uint32
	err   error
}

// File modes, as in stat(2).
const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeCharDev = 0o020000
)

type cpioEntry struct {
	name         string
	mode         uint32
	data         []byte
	major, minor uint32 // device number, for device nodes
}

func (c *cpioWriter) write(e cpioEntry) error {
	if c.err != nil {
		return c.err
	}
	c.inode++
	nlink := 1
	if e.mode&modeDir != 0 {
		nlink = 2
	}
	name := strings.TrimPrefix(e.name, "/") + "\x00"
	header := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.inode, e.mode, 0, 0, nlink, 0, len(e.data), 0, 0, e.major, e.minor, len(name), 0)
	c.put([]byte(header))
	c.put([]byte(name))
	c.pad(len(header) + len(name))
	c.put(e.data)
	c.pad(len(e.data))
	return c.err
}

func (c *cpioWriter) put(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

func (c *cpioWriter) pad(n int) {
	c.put(make([]byte, (4-n%4)%4))
}

// close writes the trailer.
func (c *cpioWriter) close() error {
	return c.write(cpioEntry{name: "TRAILER!!!"})
}
