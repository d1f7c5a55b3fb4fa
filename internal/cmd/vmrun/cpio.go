package main

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// cpioWriter writes an initramfs in the "newc" format the kernel unpacks (SVR4 portable ASCII
// without checksums; see the kernel's Documentation/driver-api/early-userspace/buffer-format.rst).
// The kernel does not create parent directories, so the writer emits them first, once each.
type cpioWriter struct {
	w    *bufio.Writer
	ino  uint32
	dirs map[string]bool
	err  error
}

func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: bufio.NewWriter(w), ino: 1, dirs: map[string]bool{"": true, ".": true, "/": true}}
}

const (
	cpioDir  = 0o040000
	cpioFile = 0o100000
)

func (c *cpioWriter) header(name string, mode, size uint32) {
	if c.err != nil {
		return
	}
	c.ino++
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
	// rdevminor, namesize (with the NUL), check
	nlink := uint32(1)
	if mode&cpioDir != 0 {
		nlink = 2
	}
	_, c.err = fmt.Fprintf(c.w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\x00",
		c.ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0, name)
	c.pad(110 + len(name) + 1)
}

func (c *cpioWriter) pad(n int) {
	if c.err == nil && n%4 != 0 {
		_, c.err = c.w.WriteString("\x00\x00\x00"[:4-n%4])
	}
}

// clean turns "/a/b" into "a/b", the form the archive uses.
func clean(name string) string { return strings.TrimPrefix(path.Clean("/"+name), "/") }

// mkdirAll adds directory entries for dir and its parents that are not in the archive yet.
func (c *cpioWriter) mkdirAll(dir string) { c.mkdirAllPerm(dir, 0o755) }

// mkdirAllPerm is mkdirAll with dir's own permissions, if dir is not in the archive yet; its
// parents get 0755.
func (c *cpioWriter) mkdirAllPerm(dir string, perm uint32) {
	dir = clean(dir)
	if c.dirs[dir] {
		return
	}
	c.mkdirAll(path.Dir(dir))
	c.dirs[dir] = true
	c.header(dir, cpioDir|perm&0o7777, 0)
}

// addFile adds a regular file with its parent directories.
func (c *cpioWriter) addFile(name string, perm uint32, data []byte) error {
	name = clean(name)
	if uint64(len(data)) > 1<<32-1 {
		return fmt.Errorf("cpio: %s: %d bytes is too large for newc", name, len(data))
	}
	c.mkdirAll(path.Dir(name))
	c.header(name, cpioFile|perm&0o7777, uint32(len(data)))
	if c.err == nil {
		_, c.err = c.w.Write(data)
	}
	c.pad(len(data))
	return c.err
}

// close writes the trailer and flushes.
func (c *cpioWriter) close() error {
	c.header("TRAILER!!!", 0, 0)
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}

// sortedKeys returns m's keys in order, so archives are reproducible.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
