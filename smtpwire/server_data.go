package smtpwire

import "strconv"

// Message bodies: DATA through the streaming Unstuffer (RFC 5321 §4.1.1.4), BDAT as counted
// raw chunks (RFC 3030 §2). Both append to Server.Body and end in SEvMessage.

func (s *Server) maxSize() int64 { return s.cfg.Caps.MaxSize }

// startData switches to DATA body mode after 354.
func (s *Server) startData() {
	opts := s.cfg.Data
	opts.MaxSize = s.maxSize()
	s.unstuff.Reset(opts)
	s.Body = s.Body[:0]
	s.mode = modeData
}

// feedData unstuffs body bytes until the final "CRLF.CRLF".
func (s *Server) feedData(in []byte) (int, ServerEvent) {
	body, used, done := s.unstuff.Decode(s.Body, in)
	s.Body = body
	if !done {
		return used, SEvNone
	}
	s.mode = modeCommand
	if err := s.unstuff.Err(); err != nil {
		s.resetTransaction()
		return used, s.fail(ReplyOf(err))
	}
	return used, s.decide(SEvMessage)
}

// feedBDAT reads the octets of the current chunk.
func (s *Server) feedBDAT(in []byte) (int, ServerEvent) {
	take := len(in)
	if int64(take) > s.chunk {
		take = int(s.chunk)
	}
	if !s.refused {
		if max := s.maxSize(); max > 0 && s.size+int64(take) > max {
			s.refused, s.deferred = true, replySizeExceeded // RFC 3030 §3: 552 for an oversize message
		} else {
			s.Body = append(s.Body, in[:take]...)
		}
	}
	s.size += int64(take)
	s.chunk -= int64(take)
	if s.chunk > 0 {
		return take, SEvNone
	}
	s.mode = modeCommand
	if s.refused {
		r := s.deferred
		s.resetTransaction()
		return take, s.fail(r)
	}
	if s.last {
		return take, s.decide(SEvMessage)
	}
	s.appendChunkOK()
	return take, SEvNone
}

// appendChunkOK answers a non-final chunk: "250 2.0.0 N octets received".
func (s *Server) appendChunkOK() {
	s.Out = append(s.Out, "250 2.0.0 "...)
	s.Out = strconv.AppendInt(s.Out, s.size, 10)
	s.Out = append(s.Out, " octets received\r\n"...)
}
