//go:build linux

package wal

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// iovMax is the largest number of buffers one pwritev accepts (IOV_MAX).
const iovMax = 1024

// preallocate reserves n bytes at off in f. It reports false, without an
// error, when the file system does not support fallocate.
func preallocate(f *os.File, off, n int64) (bool, error) {
	if n <= 0 {
		return true, nil
	}
	err := control(f, func(fd int) error {
		return retryEINTR(func() error { return unix.Fallocate(fd, 0, off, n) })
	})
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return false, nil
	}
	return err == nil, err
}

// fdatasync flushes the data of f (and the metadata needed to read it).
func fdatasync(f *os.File) error {
	return control(f, func(fd int) error {
		return retryEINTR(func() error { return unix.Fdatasync(fd) })
	})
}

// pwritev writes bufs at off with as few system calls as possible. It may
// modify the elements of bufs.
func pwritev(f *os.File, bufs [][]byte, off int64) error {
	return control(f, func(fd int) error {
		for len(bufs) > 0 {
			chunk := bufs[:min(len(bufs), iovMax)]
			n, err := unix.Pwritev(fd, chunk, off)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			if n == 0 {
				return io.ErrShortWrite
			}
			off += int64(n)
			for n > 0 {
				if n >= len(bufs[0]) {
					n -= len(bufs[0])
					bufs = bufs[1:]
				} else {
					bufs[0] = bufs[0][n:]
					n = 0
				}
			}
			for len(bufs) > 0 && len(bufs[0]) == 0 {
				bufs = bufs[1:]
			}
		}
		return nil
	})
}

// lockFile takes an exclusive, non-blocking flock on f.
func lockFile(f *os.File) error {
	return control(f, func(fd int) error {
		return retryEINTR(func() error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) })
	})
}

func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

func retryEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}
