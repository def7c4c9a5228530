//go:build linux

package main

import (
	"fmt"
	"io"
	"os/exec"
	"text/template"
	"time"

	"github.com/volleymta/volley/bench/internal/launch"
)

// confTemplate is volleyd's config for holding idle clients. It listens on
// 127.0.0.1 only; every loopback client may connect, with no cap per
// client IP and a total cap above the load (total-max-smtp-in defaults to
// 100); the command timeout outlasts the run so volleyd never closes an
// idle session itself. Nothing is injected, so nothing is delivered; the
// domain block keeps any lookup on loopback all the same.
var confTemplate = template.Must(template.New("volley.conf").Parse(`# bench/idleconns: hold many idle SMTP clients.
smtp-listener 127.0.0.1:0

<spool {{.Spool}}>
</spool>

io-engine {{.Engine}}
shards    auto

name-server 127.0.0.1:{{.DNSPort}}

total-max-smtp-in {{.MaxIn}}

<source 127.0.0.0/8>
    smtp-service         yes
    max-smtp-in          {{.MaxIn}}
    smtp-command-timeout {{.IdleTimeout}}
</source>

<domain *>
    smtp-hosts [127.0.0.1]:{{.DNSPort}}
    use-dane   no
</domain>
`))

// confValues fill confTemplate.
type confValues struct {
	Spool, Engine, IdleTimeout string
	DNSPort, MaxIn             int
}

// startDaemon starts volleyd with conf, copies its log to logw and waits
// (at most timeout) for its listening line.
func startDaemon(bin, conf string, logw io.Writer, timeout time.Duration) (*launch.Proc, launch.Listening, error) {
	found := make(chan launch.Listening, 1)
	d, err := launch.Start(exec.Command(bin, "--config", conf), logw, func(line string) {
		if l, ok := launch.ParseListening(line); ok && l.Addr.IsValid() {
			select {
			case found <- l:
			default:
			}
		}
	})
	if err != nil {
		return nil, launch.Listening{}, err
	}
	select {
	case l := <-found:
		return d, l, nil
	case <-d.Exited:
		return nil, launch.Listening{}, fmt.Errorf("volleyd exited at start: %v", d.Cmd.ProcessState)
	case <-time.After(timeout):
		_, _ = d.Stop(5 * time.Second)
		return nil, launch.Listening{}, fmt.Errorf("volleyd: no listening line within %v", timeout)
	}
}
