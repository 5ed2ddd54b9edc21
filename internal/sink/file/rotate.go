package file

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rotatedTimeLayout is the UTC timestamp in the name of a rotated file.
const rotatedTimeLayout = "20060102T150405Z"

// Suffixes of compressed rotated files and of those being compressed.
const (
	gzSuffix    = ".gz"
	gzTmpSuffix = ".gz.tmp"
)

// rotatedName is the name of a rotated file:
// <stem>.<UTC timestamp>[.<n>]<ext>[.gz | .gz.tmp].
type rotatedName struct {
	stem   string
	at     time.Time
	n      int // 0, or 1, 2, … for further rotations within one second
	ext    string
	suffix string // "", gzSuffix or gzTmpSuffix
}

// base is the name without the compression suffix.
func (r rotatedName) base() string {
	b := r.stem + "." + r.at.UTC().Format(rotatedTimeLayout)
	if r.n > 0 {
		b += "." + strconv.Itoa(r.n)
	}
	return b + r.ext
}

func (r rotatedName) String() string { return r.base() + r.suffix }

// parseRotated parses name as a rotated file of a live file with extension
// ext. Only names String would produce are accepted. With ext ".gz", both
// "x.<ts>.gz" and "x.<ts>.gz.gz" are rotated files: the timestamp decides.
func parseRotated(name, ext string) (rotatedName, bool) {
	for _, suf := range []string{gzTmpSuffix, gzSuffix, ""} {
		if !strings.HasSuffix(name, suf) {
			continue
		}
		if r, ok := parseRotatedBase(name[:len(name)-len(suf)], ext); ok {
			r.suffix = suf
			return r, true
		}
	}
	return rotatedName{}, false
}

// parseRotatedBase parses <stem>.<timestamp>[.<n>]<ext>.
func parseRotatedBase(name, ext string) (rotatedName, bool) {
	var r rotatedName
	if !strings.HasSuffix(name, ext) {
		return r, false
	}
	r.ext = ext
	rest := name[:len(name)-len(ext)]
	const tsLen = len(rotatedTimeLayout)
	if i := strings.LastIndexByte(rest, '.'); i >= 0 && i+1 < len(rest) && rest[i+1] != '0' && len(rest)-i-1 <= 6 && allDigits(rest[i+1:]) {
		n, _ := strconv.Atoi(rest[i+1:])
		r.n, rest = n, rest[:i]
	}
	if len(rest) < tsLen+2 || rest[len(rest)-tsLen-1] != '.' {
		return r, false
	}
	ts := rest[len(rest)-tsLen:]
	at, err := time.Parse(rotatedTimeLayout, ts)
	if err != nil || at.Format(rotatedTimeLayout) != ts {
		return r, false
	}
	r.at, r.stem = at, rest[:len(rest)-tsLen-1]
	return r, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// layout is the shape of the path template: where rotated files can be
// found after a restart and how their names are made.
type layout struct {
	root string         // the directory before the first placeholder
	dirs []elemPattern  // the directory elements below root
	stem *regexp.Regexp // the file name without ext
	ext  string         // the file name's literal extension, e.g. ".ndjson"; may be ""
}

// elemPattern matches one path element: lit when re is nil.
type elemPattern struct {
	lit string
	re  *regexp.Regexp
}

// Patterns of expanded values: safe path elements (appendSafeElem), the
// {date} placeholder, time specifiers.
const (
	valuePattern = `[A-Za-z0-9_@-][A-Za-z0-9_@.-]*`
	datePattern  = `[0-9]{4}-[0-9]{2}-[0-9]{2}`
	timePattern  = `[0-9]+`
)

// newLayout reads the shape of text, a template tmpl.Parse accepted.
func newLayout(text string) layout {
	// Split the template into path elements, each a list of literal
	// parts and value patterns.
	type part struct {
		lit     string
		pattern string // set for a value
	}
	elems := [][]part{nil}
	addLit := func(lit string) {
		for i, seg := range strings.Split(lit, "/") {
			if i > 0 {
				elems = append(elems, nil)
			}
			if seg != "" {
				elems[len(elems)-1] = append(elems[len(elems)-1], part{lit: seg})
			}
		}
	}
	addValue := func(pattern string) {
		elems[len(elems)-1] = append(elems[len(elems)-1], part{pattern: pattern})
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '{':
			end := strings.IndexByte(text[i:], '}')
			if text[i+1:i+end] == "date" {
				addValue(datePattern)
			} else {
				addValue(valuePattern)
			}
			i += end
		case '%':
			if text[i+1] == '%' {
				addLit("%")
			} else {
				addValue(timePattern)
			}
			i++
		default:
			j := i
			for j < len(text) && text[j] != '{' && text[j] != '%' {
				j++
			}
			addLit(text[i:j])
			i = j - 1
		}
	}
	literal := func(el []part) (string, bool) {
		var b strings.Builder
		for _, p := range el {
			if p.pattern != "" {
				return "", false
			}
			b.WriteString(p.lit)
		}
		return b.String(), true
	}
	regex := func(el []part) *regexp.Regexp {
		var b strings.Builder
		b.WriteString("^")
		for _, p := range el {
			if p.pattern != "" {
				b.WriteString(p.pattern)
			} else {
				b.WriteString(regexp.QuoteMeta(p.lit))
			}
		}
		b.WriteString("$")
		return regexp.MustCompile(b.String())
	}

	var l layout
	file := elems[len(elems)-1]
	dirs := elems[:len(elems)-1]
	// The root is the longest run of literal directories.
	var root []string
	for len(dirs) > 0 {
		lit, ok := literal(dirs[0])
		if !ok {
			break
		}
		root, dirs = append(root, lit), dirs[1:]
	}
	l.root = strings.Join(root, "/")
	if l.root == "" && strings.HasPrefix(text, "/") {
		l.root = "/"
	} else if l.root == "" {
		l.root = "."
	}
	for _, el := range dirs {
		if lit, ok := literal(el); ok {
			l.dirs = append(l.dirs, elemPattern{lit: lit})
		} else {
			l.dirs = append(l.dirs, elemPattern{re: regex(el)})
		}
	}
	// The extension is the file name's trailing literal from its last
	// dot, when something comes before it.
	if n := len(file); n > 0 && file[n-1].pattern == "" {
		last := file[n-1].lit
		if i := strings.LastIndexByte(last, '.'); i >= 0 && i < len(last)-1 && (i > 0 || n > 1) {
			l.ext = last[i:]
			file = append(file[:n-1:n-1], part{lit: last[:i]})
		}
	}
	l.stem = regex(file)
	return l
}

// split returns the directory, stem and extension of a live file's path.
func (l *layout) split(path string) (dir, stem, ext string) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	if l.ext != "" && strings.HasSuffix(base, l.ext) && len(base) > len(l.ext) {
		return dir, base[:len(base)-len(l.ext)], l.ext
	}
	return dir, base, ""
}

// directories lists the existing directories the template can expand to.
func (l *layout) directories() ([]string, error) {
	var errs []error
	cur := []string{l.root}
	for _, el := range l.dirs {
		var next []string
		for _, d := range cur {
			if el.re == nil {
				if p := filepath.Join(d, el.lit); isDir(p) {
					next = append(next, p)
				}
				continue
			}
			entries, err := os.ReadDir(d)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			for _, e := range entries {
				if p := filepath.Join(d, e.Name()); el.re.MatchString(e.Name()) && isDir(p) {
					next = append(next, p)
				}
			}
		}
		cur = next
	}
	if len(l.dirs) == 0 && !isDir(l.root) {
		cur = nil
	}
	return cur, errors.Join(errs...)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// rotate renames the live file at path, which is complete (flushed, synced
// and closed), to a new rotated name, queues it for compression and
// applies retention to its path's rotated files.
func (s *Sink) rotate(path string, now time.Time) error {
	dir, stem, ext := s.layout.split(path)
	r := rotatedName{stem: stem, at: now.UTC().Truncate(time.Second), ext: ext}
	for ; ; r.n++ {
		if r.n > 1000 {
			return fmt.Errorf("cannot rotate %s: more than 1000 rotated files named for %s; is the clock stuck?", path, r.at.Format(rotatedTimeLayout))
		}
		p := filepath.Join(dir, r.base())
		if !exists(p) && !exists(p+gzSuffix) && !exists(p+gzTmpSuffix) {
			break
		}
	}
	dst := filepath.Join(dir, r.base())
	delete(s.idle, path)
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("cannot rotate %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("cannot rotate %s: %w", path, err)
	}
	if s.comp != nil {
		s.comp.add(dst)
	}
	s.retain(dir, stem, now)
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

// rotatedSet is one rotated file and its compressed forms, by suffix.
type rotatedSet struct {
	name rotatedName
	has  map[string]bool
}

// listRotated returns the rotated files in dir whose stem match accepts,
// one set per base name, newest first.
func (s *Sink) listRotated(dir string, match func(stem string) bool) ([]*rotatedSet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	by := make(map[string]*rotatedSet)
	var sets []*rotatedSet
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		r, ok := parseRotated(e.Name(), s.layout.ext)
		if !ok || !match(r.stem) {
			continue
		}
		rs := by[r.base()]
		if rs == nil {
			rs = &rotatedSet{name: r, has: make(map[string]bool)}
			rs.name.suffix = ""
			by[r.base()] = rs
			sets = append(sets, rs)
		}
		rs.has[r.suffix] = true
	}
	slices.SortFunc(sets, func(a, b *rotatedSet) int {
		if c := b.name.at.Compare(a.name.at); c != 0 {
			return c
		}
		return cmp.Compare(b.name.n, a.name.n)
	})
	return sets, nil
}

// retain deletes the oldest rotated files of one path beyond MaxFiles and
// those rotated more than MaxAge ago. A file being compressed counts once.
func (s *Sink) retain(dir, stem string, now time.Time) {
	if s.cfg.MaxFiles == 0 && s.cfg.MaxAge == 0 {
		return
	}
	sets, err := s.listRotated(dir, func(st string) bool { return st == stem })
	if err != nil {
		s.log.Error("cannot apply retention", "dir", dir, "err", err)
		return
	}
	kept := 0
	for _, rs := range sets {
		if !rs.has[""] && !rs.has[gzSuffix] {
			continue // a leftover .gz.tmp: recovery's business
		}
		if (s.cfg.MaxFiles == 0 || kept < s.cfg.MaxFiles) && (s.cfg.MaxAge == 0 || now.Sub(rs.name.at) <= s.cfg.MaxAge) {
			kept++
			continue
		}
		for _, suf := range []string{"", gzSuffix, gzTmpSuffix} {
			if !rs.has[suf] {
				continue
			}
			p := filepath.Join(dir, rs.name.base()+suf)
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.log.Error("cannot delete a rotated file", "file", p, "err", err)
			}
		}
	}
}

// recover finishes what an earlier run left behind in every directory the
// template can expand to: a .gz.tmp is removed (and its source compressed
// again), a rotated file whose .gz exists is removed (the .gz was complete
// before it got its name), a rotated file without .gz is compressed (with
// Compress); then retention applies to every path found.
func (s *Sink) recover() {
	dirs, err := s.layout.directories()
	if err != nil {
		s.log.Error("cannot list every directory for rotated files", "err", err)
	}
	now := s.cfg.Now()
	for _, dir := range dirs {
		sets, err := s.listRotated(dir, s.layout.stem.MatchString)
		if err != nil {
			s.log.Error("cannot list rotated files", "dir", dir, "err", err)
			continue
		}
		stems := make(map[string]bool)
		for _, rs := range sets {
			stems[rs.name.stem] = true
			p := filepath.Join(dir, rs.name.base())
			if rs.has[gzTmpSuffix] {
				if err := os.Remove(p + gzTmpSuffix); err != nil {
					s.log.Error("cannot remove an unfinished compressed file", "file", p+gzTmpSuffix, "err", err)
				}
			}
			if rs.has[gzSuffix] && rs.has[""] {
				if err := os.Remove(p); err != nil {
					s.log.Error("cannot remove a rotated file already compressed", "file", p, "err", err)
				}
			}
		}
		for stem := range stems {
			s.retain(dir, stem, now)
		}
		if s.comp == nil {
			continue
		}
		// Oldest first, as they were rotated.
		for _, rs := range slices.Backward(sets) {
			p := filepath.Join(dir, rs.name.base())
			if rs.has[""] && !rs.has[gzSuffix] && exists(p) {
				s.comp.add(p)
			}
		}
	}
}
