package runtime

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// writeQuota bounds the bytes one try may add to the files of one or more folders: its /xcom,
// or its writable mounts together. It counts growth (a file written past its end, extended by
// truncate or fd_allocate) and InodeCost for each file, directory or hard link the try makes,
// not the folder's existing content, and never gives bytes back when the try shrinks or
// removes a file: what the quota bounds is how much a try can write, so a module that rewrites
// a file, or makes and removes a directory, in a loop runs into it too.
//
// A write that crosses the quota writes what fits and reports it written; the next one fails.
// The file system layer can only fail with one of wazero's errnos, none of which is ENOSPC, so
// a refusal returns EIO and marks refused; the WASI functions that write (see instantiateWASI)
// turn that EIO into ENOSPC, which guests print as "no space left on device".
type writeQuota struct {
	what    string // for the log: "/xcom", "the writable mounts"
	setting string // what sets the limit, for the log
	limit   int64
	used    atomic.Int64
	refused *atomic.Bool // the try's: the write that just failed hit a quota
	noted   atomic.Bool
	log     *tryLog
}

// InodeCost is what making a file, a directory or a hard link costs a try's write quota: a file
// system block, about what a new inode or directory entry takes on disk. Without it a loop of
// mkdirs or of empty files would fill a disk's inodes, and its blocks with directories, while
// writing no byte.
const InodeCost = 4 << 10

// grow charges up to n more bytes and returns how many fit (n, or fewer when the quota runs
// out). The guest's goroutine is the only caller, one call at a time.
func (q *writeQuota) grow(n int64) int64 {
	used := q.used.Load()
	fit := max(0, min(n, q.limit-used))
	q.used.Store(used + fit)
	return fit
}

// take charges n bytes all at once or, when they do not all fit, none and refuses.
func (q *writeQuota) take(n int64) bool {
	if granted := q.grow(n); granted < n {
		q.used.Add(-granted)
		q.refuse()
		return false
	}
	return true
}

// refuse records a write the quota refused and notes it in the try's log, once.
func (q *writeQuota) refuse() {
	q.refused.Store(true)
	if !q.noted.Swap(true) {
		q.log.note("%s: this try wrote %s, its quota (%s): further writes fail with ENOSPC (no space left on device); "+
			"each file or directory it makes counts %s", q.what, byteSize(q.limit), q.setting, byteSize(InodeCost))
	}
}

// quotaFS charges what the guest writes through it to a writeQuota.
type quotaFS struct {
	experimentalsys.FS
	q *writeQuota
}

func (f quotaFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	var file experimentalsys.File
	open := func() (errno experimentalsys.Errno) {
		file, errno = f.FS.OpenFile(path, flag, perm)
		return errno
	}
	var errno experimentalsys.Errno
	if f.creates(path, flag) {
		errno = f.q.make(open)
	} else {
		errno = open()
	}
	if errno != 0 || flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR) == 0 {
		return file, errno // read only: nothing more to charge (a directory is opened so too)
	}
	return &quotaFile{File: file, q: f.q}, 0
}

// creates reports whether opening path with flag makes a new file.
func (f quotaFS) creates(path string, flag experimentalsys.Oflag) bool {
	if flag&experimentalsys.O_CREAT == 0 {
		return false
	}
	if flag&experimentalsys.O_EXCL != 0 {
		return true // it fails if the file is there: then nothing is charged
	}
	_, errno := f.FS.Lstat(path)
	return errno == experimentalsys.ENOENT
}

func (f quotaFS) Mkdir(path string, perm fs.FileMode) experimentalsys.Errno {
	return f.q.make(func() experimentalsys.Errno { return f.FS.Mkdir(path, perm) })
}

// Link makes no inode, but a directory entry: a loop of links fills directories as mkdirs do.
func (f quotaFS) Link(oldPath, newPath string) experimentalsys.Errno {
	return f.q.make(func() experimentalsys.Errno { return f.FS.Link(oldPath, newPath) })
}

// make charges InodeCost for what do makes, and gives it back when do fails. With the quota
// spent, do is not called and make fails with EIO, which the WASI function turns into ENOSPC.
func (q *writeQuota) make(do func() experimentalsys.Errno) experimentalsys.Errno {
	if !q.take(InodeCost) {
		return experimentalsys.EIO
	}
	errno := do()
	if errno != 0 {
		q.used.Add(-InodeCost)
	}
	return errno
}

// quotaFile is a file opened for writing whose growth is charged to q.
type quotaFile struct {
	experimentalsys.File
	q *writeQuota
}

// size is the file's current size.
func (f *quotaFile) size() (int64, experimentalsys.Errno) {
	st, errno := f.File.Stat()
	return st.Size, errno
}

// fit is how many bytes of a write of n at off may go through: all up to the file's end, and
// what the quota grants past it.
func (f *quotaFile) fit(off int64, n int) (int, experimentalsys.Errno) {
	size, errno := f.size()
	if errno != 0 {
		return 0, errno
	}
	end := off + int64(n)
	if end <= size {
		return n, 0
	}
	growth := end - size // a hole before off counts: it is the file's size too
	granted := f.q.grow(growth)
	if granted == growth {
		return n, 0
	}
	// Part of it fits: write the head, up to the granted end, as a full disk would.
	if m := size + granted - off; m > 0 {
		return int(m), 0
	}
	// Nothing of it fits: give back what was granted (a hole before off) and refuse.
	f.q.used.Add(-granted)
	f.q.refuse()
	return 0, experimentalsys.EIO
}

func (f *quotaFile) Write(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	var off int64
	if f.File.IsAppend() {
		size, errno := f.size()
		if errno != 0 {
			return 0, errno
		}
		off = size
	} else {
		var errno experimentalsys.Errno
		if off, errno = f.File.Seek(0, io.SeekCurrent); errno != 0 {
			return 0, errno
		}
	}
	n, errno := f.fit(off, len(buf))
	if errno != 0 {
		return 0, errno
	}
	return f.File.Write(buf[:n])
}

func (f *quotaFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, errno := f.fit(off, len(buf))
	if errno != 0 {
		return 0, errno
	}
	return f.File.Pwrite(buf[:n], off)
}

// Truncate charges an extension in full: a file is made longer all at once or not at all.
func (f *quotaFile) Truncate(size int64) experimentalsys.Errno {
	cur, errno := f.size()
	if errno != 0 {
		return errno
	}
	if size > cur && !f.q.take(size-cur) {
		return experimentalsys.EIO
	}
	return f.File.Truncate(size)
}

// WASI preview1's errno numbers (a stable ABI, wasi_snapshot_preview1's witx).
const (
	wasiErrnoIO    = 29
	wasiErrnoNoSpc = 51
)

// wasiWriters are the WASI functions through which a guest makes files grow, or makes files,
// directories and links.
var wasiWriters = []string{"fd_write", "fd_pwrite", "fd_filestat_set_size", "fd_allocate",
	"path_open", "path_create_directory", "path_link"}

// instantiateWASI defines wasi_snapshot_preview1 in r: wazero's, except that the functions
// that write report a write refused by a quota as ENOSPC rather than EIO.
func instantiateWASI(ctx context.Context, r wazero.Runtime) error {
	// wazero's definitions, to wrap, are read from a module compiled by an interpreter runtime,
	// which makes no machine code: compiling it with r's compiler, to throw it away, cost every
	// Runner about a millisecond at start.
	defs := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer defs.Close(ctx)
	pb := defs.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(pb)
	plain, err := pb.Compile(ctx)
	if err != nil {
		return err
	}
	exported := plain.ExportedFunctions()
	b := r.NewHostModuleBuilder(wasi_snapshot_preview1.ModuleName)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
	for _, name := range wasiWriters {
		def := exported[name]
		orig, ok := def.GoFunction().(api.GoModuleFunction)
		if !ok {
			return fmt.Errorf("wasi %s is not a Go function", name)
		}
		b.NewFunctionBuilder().WithGoModuleFunction(noSpace{orig}, def.ParamTypes(), def.ResultTypes()).
			WithParameterNames(def.ParamNames()...).Export(name)
	}
	_, err = b.Instantiate(ctx)
	return err
}

// noSpace is a WASI write function whose EIO, when a quota caused it, becomes ENOSPC.
type noSpace struct{ api.GoModuleFunction }

func (f noSpace) Call(ctx context.Context, mod api.Module, stack []uint64) {
	f.GoModuleFunction.Call(ctx, mod, stack)
	if uint32(stack[0]) != wasiErrnoIO {
		return
	}
	if st, _ := ctx.Value(tryStateKey{}).(*tryState); st != nil && st.quotaRefused.Swap(false) {
		stack[0] = wasiErrnoNoSpc
	}
}

// byteSize formats a byte count for people: exact when round, else to a tenth of a unit.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
