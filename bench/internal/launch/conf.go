package launch

import (
	"bytes"
	"net"
	"os"
	"text/template"
)

// WriteConf executes t with v into a config file at path, readable by its
// owner only.
func WriteConf(path string, t *template.Template, v any) error {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// FreeUDPPort returns a loopback UDP port that nothing listens on (it was
// free a moment ago), for name-server: a DNS query there is refused at
// once, so nothing leaves loopback.
func FreeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// FreeTCPPort returns a loopback TCP port that was free a moment ago, for
// a server's listener.
func FreeTCPPort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
