//go:build unix && !linux

package wal

import (
	"os"

	"golang.org/x/sys/unix"
)

// preallocate is not supported here: files grow as they are written.
func preallocate(f *os.File, off, n int64) (bool, error) { return false, nil }

// fdatasync falls back to fsync.
func fdatasync(f *os.File) error { return f.Sync() }

// pwritev writes bufs at off one buffer at a time.
func pwritev(f *os.File, bufs [][]byte, off int64) error {
	for _, b := range bufs {
		if _, err := f.WriteAt(b, off); err != nil {
			return err
		}
		off += int64(len(b))
	}
	return nil
}

// lockFile takes an exclusive, non-blocking flock on f.
func lockFile(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}
