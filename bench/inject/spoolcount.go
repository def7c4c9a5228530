//go:build ignore

// Command spoolcount prints how many messages and recipients a volleyd spool holds. The
// injection benchmark (run.sh) runs it on the spool after volleyd has stopped, to check
// that every message smtp-source was told 250 for is really there. It is not part of the
// build (the ignore constraint); run.sh builds it by file name:
//
//	go build -o spoolcount ./bench/inject/spoolcount.go
//	spoolcount DIR   # prints "MESSAGES RECIPIENTS"
package main

import (
	"fmt"
	"os"

	"github.com/volleymta/volley/spool"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: spoolcount SPOOL-DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	// Open would create an empty spool where there is none; a missing directory is an error.
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintln(os.Stderr, "spoolcount:", err)
		os.Exit(1)
	}
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "spoolcount:", err)
		os.Exit(1)
	}
	var msgs, rcpts int
	err = sp.Scan(func(m *spool.Message) error {
		msgs++
		rcpts += len(m.Recipients)
		return nil
	})
	if cerr := sp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spoolcount:", err)
		os.Exit(1)
	}
	fmt.Println(msgs, rcpts)
}
