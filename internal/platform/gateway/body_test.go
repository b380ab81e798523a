package gateway_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/platform/gateway"
)

// slowPost sends a body of n bytes, a byte every gap, to a handler (wrapped by wrap) on a
// server whose timeouts are far shorter than the whole upload, and returns the status and
// the body the handler read.
func slowPost(t *testing.T, wrap func(http.Handler) http.Handler, n int, gap time.Duration) (status int, read string) {
	t.Helper()
	got := make(chan string, 1)
	srv := &http.Server{ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond,
		Handler: wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				got <- "error: " + err.Error()
				http.Error(w, "read failed", http.StatusBadRequest)
				return
			}
			got <- string(b)
			w.WriteHeader(http.StatusOK)
		}))}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	pr, pw := io.Pipe()
	go func() {
		for range n {
			time.Sleep(gap)
			if _, err := pw.Write([]byte("x")); err != nil {
				return
			}
		}
		_ = pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, "http://"+l.Addr().String()+"/", pr)
	req.ContentLength = int64(n)
	resp, err := http.DefaultClient.Do(req)
	select {
	case read = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler never finished reading")
	}
	if err != nil {
		return 0, read
	}
	defer resp.Body.Close()
	return resp.StatusCode, read
}

func TestSlowBodyOutlastsTheServersTimeouts(t *testing.T) {
	slow := func(h http.Handler) http.Handler { return gateway.SlowBody(5*time.Second, time.Second, h) }
	// Six bytes 50 ms apart: 300 ms, three times the server's read and write timeouts.
	if status, read := slowPost(t, slow, 6, 50*time.Millisecond); status != http.StatusOK || read != "xxxxxx" {
		t.Errorf("with SlowBody: status %d, read %q; want 200 and the whole body", status, read)
	}
	same := func(h http.Handler) http.Handler { return h }
	if _, read := slowPost(t, same, 6, 50*time.Millisecond); !strings.HasPrefix(read, "error") {
		t.Errorf("without it the server's read timeout should cut the upload off; read %q", read)
	}
}
