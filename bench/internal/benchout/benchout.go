package benchout

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ExitUsage ends the program after a flag error: status 0 for -h (the
// flag package has printed the usage), else 2 after printing err.
func ExitUsage(prog string, err error) {
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, prog+":", err)
	os.Exit(2)
}

// Finish prints r to stdout, as JSON when asJSON or else through summary,
// and returns the exit status: 1 when failed or the print failed, else 0.
func Finish(prog string, asJSON bool, r any, summary func(io.Writer), failed bool) int {
	if err := Write(os.Stdout, asJSON, r, summary); err != nil {
		fmt.Fprintln(os.Stderr, prog+":", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

// Write writes r to w as one indented JSON object when asJSON, else
// through summary.
func Write(w io.Writer, asJSON bool, r any, summary func(io.Writer)) error {
	if !asJSON {
		summary(w)
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
