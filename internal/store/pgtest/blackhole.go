package pgtest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Blackhole is a TCP proxy between a client and PostgreSQL that can stop forwarding, as a
// network partition or a dropped route does: connections stay open, bytes go nowhere,
// nothing is refused or reset.
type Blackhole struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	held   bool
	closed bool
	conns  []net.Conn
}

// NewBlackhole proxies to target (host:port) until the test ends.
func NewBlackhole(t testing.TB, target string) *Blackhole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Blackhole{l: l, target: target}
	b.cond = sync.NewCond(&b.mu)
	go b.accept()
	t.Cleanup(b.close)
	return b
}

// Addr is the proxy's host:port, to put in place of the database's.
func (b *Blackhole) Addr() string { return b.l.Addr().String() }

// Hold stops (true) or resumes (false) forwarding.
func (b *Blackhole) Hold(on bool) {
	b.mu.Lock()
	b.held = on
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *Blackhole) accept() {
	for {
		in, err := b.l.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", b.target)
		if err != nil {
			in.Close()
			continue
		}
		b.mu.Lock()
		b.conns = append(b.conns, in, out)
		b.mu.Unlock()
		go b.pipe(in, out)
		go b.pipe(out, in)
	}
}

// pipe forwards src to dst, holding each chunk while the proxy is held.
func (b *Blackhole) pipe(src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			b.mu.Lock()
			for b.held && !b.closed {
				b.cond.Wait()
			}
			closed := b.closed
			b.mu.Unlock()
			if closed {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				src.Close()
			}
			dst.Close()
			return
		}
	}
}

func (b *Blackhole) close() {
	b.l.Close()
	b.mu.Lock()
	b.closed = true
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.cond.Broadcast()
}
