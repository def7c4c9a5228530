//go:build linux

package main

import (
	"bytes"
	"fmt"
	"strings"
)

// The exchange is shaped like SMTP: a command line gets a one-line 250, and
// "DATA <n>" is followed by exactly n payload bytes, then a 250 for the lot.
// The byte count replaces dot-stuffing so that the servers measure I/O, not
// a codec.
var (
	replyOK     = []byte("250 2.0.0 Ok\r\n")
	replyQueued = []byte("250 2.0.0 Ok queued\r\n")
	replySyntax = []byte("501 5.5.4 Syntax error\r\n")
)

// maxLine bounds a command line; a longer one closes the connection.
const maxLine = 1024

// workload is one request and the reply the client must get for it.
type workload struct {
	name    string
	request []byte
	reply   []byte
}

// cmdRequest is a typical ~30-byte command line.
const cmdRequest = "MAIL FROM:<bench@example.org>\r\n"

// dataSize is the payload of the data4k workload.
const dataSize = 4096

var workloads = []workload{
	{name: "cmd", request: []byte(cmdRequest), reply: replyOK},
	{name: "data4k", request: dataRequest(dataSize), reply: replyQueued},
}

// dataRequest builds "DATA n\r\n" followed by n payload bytes, ready to send
// in one write.
func dataRequest(n int) []byte {
	head := fmt.Sprintf("DATA %d\r\n", n)
	b := make([]byte, 0, len(head)+n)
	b = append(b, head...)
	line := "Subject: volley iobench payload line, 64 bytes of body text..\r\n"
	for len(b) < len(head)+n {
		b = append(b, line[:min(len(line), len(head)+n-len(b))]...)
	}
	return b
}

func workloadByName(name string) (workload, error) {
	var names []string
	for _, w := range workloads {
		if w.name == name {
			return w, nil
		}
		names = append(names, w.name)
	}
	return workload{}, fmt.Errorf("unknown workload %q (want %s)", name, strings.Join(names, ", "))
}

// parseLine classifies one received line (with its line ending): for
// "DATA <n>" it returns n and isData; for another command it returns
// isData false; ok is false for a DATA line with a bad count. It does not
// allocate, so both servers can call it per request.
func parseLine(line []byte) (n int, isData, ok bool) {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) < 4 || !bytes.EqualFold(line[:4], []byte("DATA")) {
		return 0, false, true
	}
	if len(line) == 4 {
		return 0, true, false
	}
	if line[4] != ' ' {
		return 0, false, true // "DATAX": some other command
	}
	digits := line[5:]
	if len(digits) == 0 || len(digits) > 9 {
		return 0, true, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, true, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true, true
}
