package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/wasmflow/wasmflow/app"
)

// askPassword asks for a new password twice, as Airflow's `users create` does without
// --password: on a terminal without echo, otherwise as two lines of stdin (scripts pipe it).
func (e *env) askPassword() (string, error) {
	if e.io.Stdin == nil {
		return "", usageError{errors.New("give --password (-p) or --use-random-password: there is no input to ask on")}
	}
	read := e.lineReader()
	first, err := read("Password: ")
	if err != nil {
		return "", err
	}
	if n := len([]rune(first)); n < app.MinPasswordChars {
		return "", fmt.Errorf("the password has %d characters; a password has at least %d", n, app.MinPasswordChars)
	}
	again, err := read("Repeat for confirmation: ")
	if err != nil {
		return "", err
	}
	if again != first {
		return "", errors.New("the two passwords differ; nothing was created")
	}
	return first, nil
}

// lineReader reads answers from stdin, without echo when stdin is a terminal.
func (e *env) lineReader() func(prompt string) (string, error) {
	if f, ok := e.io.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return func(prompt string) (string, error) {
			fmt.Fprint(e.io.Stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.io.Stderr)
			return string(b), err
		}
	}
	r := bufio.NewReader(e.io.Stdin)
	return func(prompt string) (string, error) {
		fmt.Fprint(e.io.Stderr, prompt)
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return "", usageError{errors.New("no password given: the input ended (pass --password, or --use-random-password)")}
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
}
