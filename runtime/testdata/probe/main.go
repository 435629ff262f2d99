// Command probe is the runtime tests' Go guest: each subcommand exercises one part of the task
// contract and prints what it saw.
//
// Built by the tests (runtime/fixtures_test.go) into a temporary directory:
//
//	GOOS=wasip1 GOARCH=wasm go build -o probe.wasm ./runtime/testdata/probe
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmflow/wasmflow/tasks/sdk"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe COMMAND [ARGS...]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "contract":
		contract()
	case "exit":
		n, _ := strconv.Atoi(args[0])
		fmt.Println("exiting with", n)
		os.Exit(n)
	case "sandbox":
		sandbox(args[0], args[1])
	case "sleep":
		d, _ := time.ParseDuration(args[0])
		fmt.Println("sleeping", d)
		time.Sleep(d)
		fmt.Println("woke up")
	case "busy":
		fmt.Println("spinning")
		n := 0
		for {
			n++
		}
	case "alloc":
		alloc()
	case "alloc-big":
		mib, _ := strconv.Atoi(args[0])
		b := make([]byte, mib<<20)
		b[len(b)-1] = 1
		fmt.Println("allocated", len(b))
	case "xcom":
		for _, kv := range args {
			k, v, _ := strings.Cut(kv, "=")
			must(os.WriteFile("/xcom/"+k, []byte(v), 0o644))
		}
	case "print":
		for _, a := range args {
			fmt.Println(a)
		}
	case "printn":
		n, _ := strconv.Atoi(args[0])
		fmt.Println("a line of", n, "bytes follows")
		fmt.Println(strings.Repeat("x", n))
	case "noeol":
		fmt.Print(args[0])
	case "spam":
		n, _ := strconv.Atoi(args[0])
		for i := range n {
			fmt.Printf("line %06d %s\n", i, strings.Repeat("y", 50))
		}
	case "sdk-push":
		if err := sdk.XComPush(args[0], []byte(args[1])); err != nil {
			fmt.Println("push error:", err)
			os.Exit(1)
		}
		fmt.Println("pushed", args[0])
	case "sdk-push-size":
		n, _ := strconv.Atoi(args[1])
		err := sdk.XComPush(args[0], make([]byte, n))
		fmt.Println("push:", err)
	case "sdk-push-many":
		n, _ := strconv.Atoi(args[0])
		for i := range n {
			if err := sdk.XComPush("k"+strconv.Itoa(i), nil); err != nil {
				fmt.Printf("pushed %d, then: %v\n", i, err)
				os.Exit(1)
			}
		}
		fmt.Println("pushed", n)
	case "sdk-pull":
		v, ok := sdk.XComPull(args[0], args[1])
		fmt.Printf("pulled ok=%v len=%d value=%q\n", ok, len(v), v)
		sdk.Log("via host log: pulled " + args[0] + "." + args[1])
	case "concurrent":
		concurrent(args[0])
	case "fill":
		n, _ := strconv.ParseInt(args[1], 10, 64)
		fill(args[0], n)
	case "truncate":
		n, _ := strconv.ParseInt(args[1], 10, 64)
		f, err := os.Create(args[0])
		must(err)
		err = f.Truncate(n)
		fmt.Printf("truncate: %v (ENOSPC: %v)\n", err, errors.Is(err, syscall.ENOSPC))
	case "mkdirs", "touch":
		n, _ := strconv.Atoi(args[1])
		makeMany(cmd, args[0], n)
	case "fs":
		for _, op := range args {
			fsOp(op)
		}
	case "clock":
		fmt.Println(time.Now().UTC().Format(time.RFC3339Nano))
		t := time.Now()
		time.Sleep(20 * time.Millisecond)
		fmt.Println("slept", time.Since(t) >= 20*time.Millisecond)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", cmd)
		os.Exit(2)
	}
}

func contract() {
	args, _ := json.Marshal(os.Args)
	env := os.Environ()
	sort.Strings(env)
	envJSON, _ := json.Marshal(env)
	in, err := io.ReadAll(os.Stdin)
	must(err)
	fmt.Println("args=" + string(args))
	fmt.Println("env=" + string(envJSON))
	fmt.Printf("stdin=%q\n", in)
	fmt.Fprintln(os.Stderr, "a line on stderr")
	fmt.Printf("sdk dag=%s task=%s run=%s try=%d ds=%s logical=%s conf=%v\n", sdk.DagID(), sdk.TaskID(),
		sdk.RunID(), sdk.TryNumber(), sdk.DS(), sdk.LogicalDate().Format(time.RFC3339), sdk.Conf())
	fmt.Println("done")
}

// sandbox tries what a task must not do, and what its mounts grant. It expects /ro (read only,
// holding hello.txt) and /rw (writable). hostAddr is a real listener on the host, which it must
// not reach; it listens on listenAddr, which the host must not reach (Go's wasip1 net package is
// an in-process fake: listening "works", but only inside this module).
func sandbox(hostAddr, listenAddr string) {
	check("read /etc/passwd", func() error { _, err := os.ReadFile("/etc/passwd"); return err })
	check("list /", func() error { _, err := os.ReadDir("/"); return err })
	check("write /tmp/escape", func() error { return os.WriteFile("/tmp/escape", []byte("x"), 0o644) })
	check("write /escape", func() error { return os.WriteFile("/escape", []byte("x"), 0o644) })
	check("write /rw/../escape", func() error { return os.WriteFile("/rw/../escape", []byte("x"), 0o644) })
	check("write /ro/new.txt", func() error { return os.WriteFile("/ro/new.txt", []byte("x"), 0o644) })
	check("remove /ro/hello.txt", func() error { return os.Remove("/ro/hello.txt") })
	check("symlink /rw/passwd", func() error { return os.Symlink("../../../../../../../../etc/passwd", "/rw/passwd") })
	check("read /rw/passwd", func() error { _, err := os.ReadFile("/rw/passwd"); return err })
	check("symlink /xcom/passwd", func() error { return os.Symlink("../../../../../../../../etc/passwd", "/xcom/passwd") })
	check("link /ro/hello.txt /rw/hello.txt", func() error { return os.Link("/ro/hello.txt", "/rw/hello.txt") })
	check("dial the host", func() error {
		c, err := net.DialTimeout("tcp", hostAddr, time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	if l, err := net.Listen("tcp", listenAddr); err != nil {
		fmt.Printf("DENIED listen: %v\n", err)
	} else {
		fmt.Printf("LISTENING %s\n", l.Addr())
		time.Sleep(500 * time.Millisecond) // the host tries to connect meanwhile
		l.Close()
	}
	check("read /ro/hello.txt", func() error {
		b, err := os.ReadFile("/ro/hello.txt")
		if err == nil && string(b) != "hello from the host\n" {
			err = fmt.Errorf("unexpected content %q", b)
		}
		return err
	})
	check("write /rw/out.txt", func() error { return os.WriteFile("/rw/out.txt", []byte("written by the guest\n"), 0o644) })
	check("write /xcom/note", func() error { return os.WriteFile("/xcom/note", []byte("sandboxed"), 0o644) })
}

func check(what string, f func() error) {
	if err := f(); err != nil {
		fmt.Printf("DENIED %s: %v\n", what, err)
		return
	}
	fmt.Printf("ALLOWED %s\n", what)
}

var keep [][]byte

func alloc() {
	for i := 1; ; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		keep = append(keep, b)
		if i%16 == 0 {
			fmt.Println("allocated MiB:", i)
		}
	}
}

func concurrent(id string) {
	fmt.Println("id", id)
	must(os.WriteFile("/xcom/id", []byte(id), 0o644))
	time.Sleep(10 * time.Millisecond)
	b, err := os.ReadFile("/xcom/id")
	must(err)
	if string(b) != id {
		fmt.Println("interference: /xcom/id holds", string(b))
		os.Exit(3)
	}
	entries, err := os.ReadDir("/xcom")
	must(err)
	if len(entries) != 1 {
		fmt.Println("interference:", len(entries), "files in /xcom")
		os.Exit(3)
	}
	fmt.Println(id)
}

func must(err error) {
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// fill writes n bytes to the file path in 64 KiB writes, stopping at the first error, and says
// how far it got and why it stopped.
func fill(path string, n int64) {
	f, err := os.Create(path)
	must(err)
	chunk := make([]byte, 64<<10)
	var wrote int64
	for wrote < n {
		m, err := f.Write(chunk[:min(int64(len(chunk)), n-wrote)])
		wrote += int64(m)
		if err != nil {
			fmt.Printf("wrote %d, then: %v (ENOSPC: %v)\n", wrote, err, errors.Is(err, syscall.ENOSPC))
			if fi, err := f.Stat(); err == nil {
				fmt.Printf("%s is %d bytes\n", path, fi.Size()) // what the host's file system says
			}
			f.Close()
			os.Exit(1)
		}
	}
	must(f.Close())
	fmt.Printf("wrote %d\n", wrote)
}

// makeMany makes n directories (mkdirs) or empty files (touch) in dir, stopping at the first
// error, and says how many it made and why it stopped.
func makeMany(how, dir string, n int) {
	for i := range n {
		p := fmt.Sprintf("%s/%s%d", dir, how, i)
		var err error
		if how == "mkdirs" {
			err = os.Mkdir(p, 0o755)
		} else {
			var f *os.File
			if f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				err = f.Close()
			}
		}
		if err != nil {
			fmt.Printf("made %d, then: %v (ENOSPC: %v)\n", i, err, errors.Is(err, syscall.ENOSPC))
			os.Exit(1)
		}
	}
	fmt.Printf("made %d\n", n)
}

// fsOp runs one file operation written "op:path" (or "rename:from:to") and says whether it
// worked, with what it saw, or how it failed: "ALLOWED read /rw/x: "..."" or
// "DENIED read /rw/x: ... (ENOENT: true)".
func fsOp(spec string) {
	parts := strings.Split(spec, ":")
	op, p := parts[0], parts[1]
	what := op + " " + p
	var seen string
	var err error
	switch op {
	case "read":
		var b []byte
		b, err = os.ReadFile(p)
		seen = strconv.Quote(string(b))
	case "write": // an existing file, truncated
		err = writeFile(p, os.O_WRONLY|os.O_TRUNC)
	case "append":
		err = writeFile(p, os.O_WRONLY|os.O_APPEND)
	case "create":
		err = writeFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	case "stat", "lstat":
		var fi os.FileInfo
		if op == "stat" {
			fi, err = os.Stat(p)
		} else {
			fi, err = os.Lstat(p)
		}
		if err == nil {
			seen = fmt.Sprintf("%s %d bytes", fileType(fi.Mode()), fi.Size())
		}
	case "readdir":
		var entries []os.DirEntry
		entries, err = os.ReadDir(p)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name()+"="+fileType(e.Type()))
		}
		seen = strings.Join(names, " ")
	case "readlink":
		seen, err = os.Readlink(p)
	case "mkdir":
		err = os.Mkdir(p, 0o755)
	case "chmod":
		err = os.Chmod(p, 0o600)
	case "chtimes":
		err = os.Chtimes(p, time.Unix(1, 0), time.Unix(1, 0))
	case "remove":
		err = os.Remove(p)
	case "rename":
		what += " " + parts[2]
		err = os.Rename(p, parts[2])
	case "link":
		what += " " + parts[2]
		err = os.Link(p, parts[2])
	default:
		fmt.Println("unknown fs op", op)
		os.Exit(2)
	}
	if err != nil {
		fmt.Printf("DENIED %s: %v (ENOENT: %v)\n", what, err, errors.Is(err, syscall.ENOENT))
		return
	}
	fmt.Printf("ALLOWED %s: %s\n", what, seen)
}

func writeFile(p string, flag int) error {
	f, err := os.OpenFile(p, flag, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("written by the guest"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileType(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "link"
	case m.IsDir():
		return "dir"
	case m.IsRegular():
		return "file"
	}
	return m.Type().String()
}
