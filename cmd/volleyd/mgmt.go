package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/volleymta/volley/engine"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound"
	"github.com/volleymta/volley/engine/mgmt"
)

// mgmtAddrs are where the management API listens: http-mgmt-listen when
// set; else http-mgmt-port on loopback (IPv4 and IPv6). PowerMTA binds
// http-mgmt-port on every address; Volley does not by default, so a
// fresh install exposes nothing: write http-mgmt-listen 0.0.0.0:8080 to
// serve other hosts. Port 0 (http-mgmt-port 0) turns it off.
func mgmtAddrs(g *config.Global) []string {
	if g.HTTPMgmtListen.IsValid() {
		return []string{g.HTTPMgmtListen.String()}
	}
	if g.HTTPMgmtPort <= 0 {
		return nil
	}
	p := strconv.Itoa(g.HTTPMgmtPort)
	return []string{"127.0.0.1:" + p, "[::1]:" + p}
}

// serveMgmt starts the management server on rn until ctx ends. A port
// that does not bind is logged, not fatal: mail goes on without the API.
func serveMgmt(ctx context.Context, cfg *config.Config, rn *engine.Running, rotateLog func() error, logf func(string, ...any)) {
	h := mgmt.New(mgmt.Options{Backend: rn, RotateLog: rotateLog, Logf: logf})
	serveTransmissions(ctx, cfg, h.TransmissionsHandler(), logf)
	for _, addr := range mgmtAddrs(&cfg.Global) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			logf("volleyd: management API not served on %s: %v", addr, err)
			continue
		}
		url := "http://" + netip.MustParseAddrPort(ln.Addr().String()).String()
		logf("volleyd: management API and web monitor on %s", url)
		serveHTTP(ctx, &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}, ln, url, logf)
	}
}

// serveHTTP serves srv on ln until ctx ends.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, url string, logf func(string, ...any)) {
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("volleyd: %s stopped: %v", url, err)
		}
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
}

// serveTransmissions serves the Transmissions API over HTTPS on each
// <transmissions-api-listener> (read at start, as the management port is).
func serveTransmissions(ctx context.Context, cfg *config.Config, h http.Handler, logf func(string, ...any)) {
	for _, l := range cfg.TransmissionsListeners {
		tc, err := inbound.LoadTLS("tls-certificate", l.TLSCertificate, l.TLSPassword)
		if err != nil {
			logf("volleyd: transmissions-api-listener %s (%s) not served: %v", l.Addr, l.Pos, err)
			continue
		}
		ln, err := net.Listen("tcp", l.Addr.String())
		if err != nil {
			logf("volleyd: transmissions-api-listener %s (%s) not served: %v", l.Addr, l.Pos, err)
			continue
		}
		url := "https://" + netip.MustParseAddrPort(ln.Addr().String()).String()
		logf("volleyd: Transmissions API on %s", url)
		serveHTTP(ctx, &http.Server{Handler: h, TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute},
			tls.NewListener(ln, tc), url, logf)
	}
}
