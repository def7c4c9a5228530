package engine

import (
	"errors"
	"fmt"
	"net/smtp"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/volleymta/volley/spool"
)

// TestRestartSkipsCorruptMessage exists because a restart rebuilds the
// queues in one pass over the spool: a message whose record was damaged on
// disk must not keep the messages after it from being delivered. It is
// left in the spool by default, and deleted with spool-delete-corrupted.
func TestRestartSkipsCorruptMessage(t *testing.T) {
	dir := t.TempDir()
	spoolDir := spoolThree(t, dir)
	damageSecondMeta(t, spoolDir)

	cs := startCapture(t)
	up := fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n</domain>\n", sinkHost(cs.addr), sinkPort(cs.addr))
	restartDeliversNeighbours(t, dir, cs, up)
	if good, bad := scanSpool(t, spoolDir); good != 0 || bad != 1 {
		t.Fatalf("after the restart: %d messages and %d corrupt, want the corrupt one left", good, bad)
	}

	_, _, rn, stop3 := startIn(t, dir, up+"spool-delete-corrupted yes\n")
	<-rn.Rebuilt
	stop3()
	if good, bad := scanSpool(t, spoolDir); good != 0 || bad != 0 {
		t.Fatalf("with spool-delete-corrupted: %d messages and %d corrupt left, want none", good, bad)
	}
	if len(cs.received()) != 2 {
		t.Fatalf("%d delivered in all, want 2", len(cs.received()))
	}
}

// TestCorruptBodySkipped: a message whose body no longer decodes (found
// only when its recipients are loaded for delivery) leaves the queue
// instead of holding up the messages loaded with it, and is deleted with
// spool-delete-corrupted.
func TestCorruptBodySkipped(t *testing.T) {
	dir := t.TempDir()
	spoolDir := spoolThree(t, dir)
	damageSecond(t, spoolDir, 'b', 17)

	cs := startCapture(t)
	up := fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n</domain>\nspool-delete-corrupted yes\n", sinkHost(cs.addr), sinkPort(cs.addr))
	restartDeliversNeighbours(t, dir, cs, up)
	if good, bad := scanSpool(t, spoolDir); good != 0 || bad != 0 {
		t.Fatalf("%d messages and %d corrupt left, want the damaged one deleted", good, bad)
	}
}

// spoolThree stores three messages (to r0, r1, r2@one.example) while their
// receiver is down, stops the engine and returns the spool's directory.
func spoolThree(t *testing.T, dir string) string {
	t.Helper()
	down := "<domain *>\n    smtp-hosts [127.0.0.1]:1\n    retry-after 1s\n</domain>\n"
	addr, spoolDir, _, stop := startIn(t, dir, down)
	for i := range 3 {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{fmt.Sprintf("r%d@one.example", i)}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	return spoolDir
}

// restartDeliversNeighbours starts the engine again on dir with conf and
// wants the first and third message delivered, the damaged second not.
func restartDeliversNeighbours(t *testing.T, dir string, cs *captureServer, conf string) {
	t.Helper()
	_, _, rn, stop := startIn(t, dir, conf)
	<-rn.Rebuilt
	got := waitReceived(t, cs, 2)
	waitQueuesEmpty(t, rn, 10*time.Second)
	stop()
	if got[0].to[0] != "r0@one.example" || got[1].to[0] != "r2@one.example" {
		t.Fatalf("delivered %v and %v, want r0 and r2", got[0].to, got[1].to)
	}
}

// damageSecondMeta overwrites the meta record of the spool's second
// message (keys 'q' ID 0x00, in ID order: spool/doc.go) with bytes that do
// not decode, as a damaged disk block would.
func damageSecondMeta(t *testing.T, dir string) {
	t.Helper()
	damageSecond(t, dir, 'q', 18)
}

// damageSecond overwrites the second record of a prefix ('q': meta
// records, keys of 18 bytes ending 0x00; 'b': bodies, 17 bytes) with a
// byte that decodes as neither.
func damageSecond(t *testing.T, dir string, prefix byte, keyLen int) {
	t.Helper()
	db, err := pebble.Open(dir, &pebble.Options{FormatMajorVersion: pebble.FormatNewest})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefix}, UpperBound: []byte{prefix + 1}})
	if err != nil {
		t.Fatal(err)
	}
	var metas [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		if k := it.Key(); len(k) == keyLen && (prefix != 'q' || k[17] == 0) {
			metas = append(metas, append([]byte(nil), k...))
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if len(metas) != 3 {
		t.Fatalf("%d records of prefix %c, want 3", len(metas), prefix)
	}
	if err := db.Set(metas[1], []byte{0x7f}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// scanSpool counts the spool's readable and corrupt messages.
func scanSpool(t *testing.T, dir string) (good, bad int) {
	t.Helper()
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	err = sp.ScanSkipping(func(*spool.Message) error { good++; return nil }, func(_ spool.ID, err error) {
		if !errors.Is(err, spool.ErrCorrupt) {
			t.Errorf("corrupt: %v", err)
		}
		bad++
	})
	if err != nil {
		t.Fatal(err)
	}
	return good, bad
}
