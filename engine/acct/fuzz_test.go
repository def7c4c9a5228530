package acct

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"slices"
	"testing"
)

// FuzzParse reads arbitrary input and checks, beyond not panicking, that what it reads
// survives a round trip: the records read before the first error, written again under
// the same headers, read back to the same values without error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		defaultHeader,
		"type,rcpt\nd,a@x\n",
		"type,rcpt\r\nd,\"a,\"\"b\"\"\r\nc\"\r\n",
		"\uFEFFtype,rcpt,dlvSize,someNewField,timeLogged,header_X-Job,envid,envId\nd,a,1,v,1733500212,j,e,f\n",
		"type,timeLogged,timeQueued,totalSecondsQueued\nb,2026-12-06 15:30:12-0400,2026-12-06 15:29:07.5-0400,0\n",
		"type,dlvSourceIp,dlvDestinationIp,repSourceIp,rcvSourceIp\nf,fe80::1%\"a,b\",::ffff:1.2.3.4,0.0.0.0,\n",
		"type,rcpt\nd,a\ntype,orig,arf_Feedback-Type\nf,o,abuse\n",
		"type,rcpt\nzz,a\n",
		"d,a\n",
		"type,TYPE\n",
		"type,rcpt,queueMode,dlvWarmup\nd,a,backoff,0.515\nt,b,normal,1\ntq,,,0.001\nd,c,,2\n",
	} {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile("testdata/pmta-style.csv"); err == nil {
		f.Add(data)
	}
	e := mustEncoder(f, allTypesCfg("a.csv"))
	var all bytes.Buffer
	all.Write(e.AppendHeader(nil))
	for ty := Delivered; ty < typeCount; ty++ {
		r := sample(ty)
		all.Write(e.AppendRecord(nil, &r))
	}
	f.Add(all.Bytes())

	f.Fuzz(func(t *testing.T, data []byte) {
		recs, headers := readUntilError(data)
		var out []byte
		var hdr []string
		var enc *Encoder
		for i := range recs {
			if !slices.Equal(headers[i], hdr) {
				hdr = headers[i]
				var err error
				if enc, err = NewHeaderEncoder(hdr, true); err != nil {
					t.Fatalf("header %q read but not writable: %v", hdr, err)
				}
				out = enc.AppendHeader(out)
			}
			out = enc.AppendRecord(out, &recs[i])
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("rewritten input does not read: %v\n%q", err, out)
		}
		if len(again) != len(recs) {
			t.Fatalf("read %d records, %d after rewriting", len(recs), len(again))
		}
		for i := range recs {
			if a, b := norm(recs[i]), norm(again[i]); !reflect.DeepEqual(a, b) {
				t.Fatalf("record %d changed:\n%+v\n%+v\nrewritten: %q", i, a, b, out)
			}
		}
	})
}

// readUntilError returns the records before the first error, each with its header.
func readUntilError(data []byte) ([]Record, [][]string) {
	r := NewReader(bytes.NewReader(data))
	var recs []Record
	var headers [][]string
	for {
		var rec Record
		err := r.Read(&rec)
		if errors.Is(err, io.EOF) || err != nil {
			return recs, headers
		}
		recs = append(recs, rec)
		headers = append(headers, r.Header())
	}
}
