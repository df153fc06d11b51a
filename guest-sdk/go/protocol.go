package plugin

// The stdin/stdout protocol with the host (see docs/languages/go.md): every message is a
// 4-byte little-endian length followed by that many bytes of UTF-8 JSON.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type conn struct {
	in  *bufio.Reader
	out io.Writer
	buf []byte
	// rbuf is reused by read for messages up to maxReusedBody: a long-lived plugin makes no garbage
	// per message read. Decoding copies what it keeps (json.RawMessage copies), so reuse is safe.
	rbuf []byte
	// inCall is set while a phase runs: host calls are answered only then (between calls the
	// host reads no requests, so an ask would wait forever).
	inCall bool
}

const maxReusedBody = 1 << 20

func newConn(in io.Reader, out io.Writer) *conn {
	return &conn{in: bufio.NewReaderSize(in, 64*1024), out: out}
}

// read returns the next message's bytes, valid until the next read; io.EOF when the host closed
// stdin.
func (c *conn) read() ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(c.in, header[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(header[:]))
	var body []byte
	if n <= maxReusedBody {
		if cap(c.rbuf) < n {
			c.rbuf = make([]byte, n)
		}
		body = c.rbuf[:n]
	} else {
		body = make([]byte, n)
	}
	if _, err := io.ReadFull(c.in, body); err != nil {
		return nil, err
	}
	return body, nil
}

// write sends one message in a single write (the host reassembles the adapter's 4 KB chunks).
func (c *conn) write(msg any) {
	body, err := json.Marshal(msg)
	if err != nil {
		body, _ = json.Marshal(map[string]any{"t": "error", "code": "plugin-error", "message": "cannot encode a message to the host: " + err.Error()})
	}
	c.buf = c.buf[:0]
	c.buf = binary.LittleEndian.AppendUint32(c.buf, uint32(len(body)))
	c.buf = append(c.buf, body...)
	if _, err := c.out.Write(c.buf); err != nil {
		fmt.Fprintln(os.Stderr, "pocket plugin: cannot write to the host:", err)
		os.Exit(3)
	}
}

// ask sends a host call and waits for its reply.
func (c *conn) ask(msg any) map[string]json.RawMessage {
	c.write(msg)
	body, err := c.read()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pocket plugin: the host closed the connection during a host call:", err)
		os.Exit(3)
	}
	var reply map[string]json.RawMessage
	if err := json.Unmarshal(body, &reply); err != nil {
		panic("pocket plugin: malformed reply from the host: " + err.Error())
	}
	return reply
}
