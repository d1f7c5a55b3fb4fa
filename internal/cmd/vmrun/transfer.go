package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Output files travel from the guest to the host over the console, the one channel the two
// share: the stock kernel's shared-folder drivers (9p, virtio) are modules, and the initramfs
// holds none. Each file is gzipped and sent in base64 lines between a header and an end line
// (the markers in config.go), and checked against the header's length and SHA-256 on arrival,
// so that a kernel message printed into the middle of a line fails the run instead of leaving a
// damaged profile.

// fileHeader describes the file that follows.
type fileHeader struct {
	Path   string `json:"path"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// dataLineBytes is how many gzipped bytes one data line carries (4 KiB of base64).
const dataLineBytes = 3 << 10

// sendOutputs sends every file of o that exists now to w.
func sendOutputs(w io.Writer, o outputs) error {
	paths, err := o.existing()
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := sendFile(w, p); err != nil {
			return fmt.Errorf("sending %s: %w", p, err)
		}
	}
	return nil
}

// sendFile writes the file at path to w in the transfer format.
func sendFile(w io.Writer, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	hdr, err := json.Marshal(fileHeader{Path: path, Size: len(data), SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return err
	}
	var z bytes.Buffer
	gz := gzip.NewWriter(&z)
	gz.Write(data) // a bytes.Buffer does not fail; Close reports any error
	if err := gz.Close(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	// The newline first: the marker must start a line whatever the test printed last.
	fmt.Fprintf(bw, "\n%s%s\n", fileMarker, hdr)
	for b := z.Bytes(); len(b) > 0; {
		n := min(len(b), dataLineBytes)
		bw.WriteString(dataMarker)
		bw.WriteString(base64.StdEncoding.EncodeToString(b[:n]))
		bw.WriteByte('\n')
		b = b[n:]
	}
	bw.WriteString(fileEndMarker + "\n")
	return bw.Flush()
}

// receiver takes the transfer lines out of the console stream on the host and writes each file
// that want allows at its path. Files the guest sends that want does not allow are refused:
// console output that imitates a transfer must not write anywhere else on the host.
type receiver struct {
	want    outputs
	cur     *fileHeader // the file being received, nil between files
	refused bool        // inside a refused file: its lines are dropped
	gz      []byte      // cur's gzipped bytes so far
	damaged error       // a data line of cur that did not decode
	written []string    // the files written, in order
	errs    []error
}

// line consumes text (one console line without its line ending) if it belongs to a transfer,
// and reports whether it did.
func (r *receiver) line(text string) bool {
	switch {
	case strings.HasPrefix(text, fileMarker):
		if r.cur != nil {
			r.fail(fmt.Errorf("%s: cut short by the next file", r.cur.Path))
		}
		r.cur, r.refused, r.gz, r.damaged = nil, false, r.gz[:0], nil
		var h fileHeader
		if err := json.Unmarshal([]byte(strings.TrimPrefix(text, fileMarker)), &h); err != nil {
			r.fail(fmt.Errorf("unreadable file header %q: %w", text, err))
			r.refused = true
			return true
		}
		if !r.want.allows(h.Path) {
			r.fail(fmt.Errorf("the guest sent %s, which no flag of the test binary names", h.Path))
			r.refused = true
			return true
		}
		r.cur = &h
	case strings.HasPrefix(text, dataMarker):
		switch {
		case r.refused:
		case r.cur == nil:
			r.fail(errors.New("file data outside a file"))
		default:
			b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(text, dataMarker))
			if err != nil && r.damaged == nil {
				r.damaged = err
			}
			r.gz = append(r.gz, b...)
		}
	case text == fileEndMarker:
		if r.cur != nil {
			if err := r.finish(); err != nil {
				r.fail(fmt.Errorf("%s: %w", r.cur.Path, err))
			}
		} else if !r.refused {
			r.fail(errors.New("file end outside a file"))
		}
		r.cur, r.refused = nil, false
	default:
		return false
	}
	return true
}

func (r *receiver) fail(err error) { r.errs = append(r.errs, err) }

// finish checks the file received and writes it.
func (r *receiver) finish() error {
	if r.damaged != nil {
		return fmt.Errorf("damaged on the console (%v)", r.damaged)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.gz))
	if err != nil {
		return fmt.Errorf("damaged on the console (%v)", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("damaged on the console (%v)", err)
	}
	sum := sha256.Sum256(data)
	if len(data) != r.cur.Size || hex.EncodeToString(sum[:]) != r.cur.SHA256 {
		return fmt.Errorf("damaged on the console: %d bytes arrived, sha256 %x; the guest sent %d, %s",
			len(data), sum, r.cur.Size, r.cur.SHA256)
	}
	if err := writeFileAtomic(r.cur.Path, data); err != nil {
		return err
	}
	r.written = append(r.written, r.cur.Path)
	return nil
}

// done reports every failure of the transfers, including a file whose end never came.
func (r *receiver) done() error {
	if r.cur != nil {
		r.fail(fmt.Errorf("%s: cut short: the guest stopped sending it", r.cur.Path))
		r.cur = nil
	}
	return errors.Join(r.errs...)
}

// writeFileAtomic writes data to path through a temporary file in the same folder, so that a
// reader never sees half a profile.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".vmrun-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// regularFiles lists the regular files under root, recursively and in order; none if root does
// not exist.
func regularFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == root {
			return nil
		}
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	return files, err
}
