package app_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// testLogs collects the logs of every server the tests start, so that TestMain can check
// the whole API suite left no personal data in them.
var testLogs logCollector

type logCollector struct {
	mu   sync.Mutex
	bufs []*syncBuffer
}

func (c *logCollector) add(b *syncBuffer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bufs = append(c.bufs, b)
}

func (c *logCollector) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, buf := range c.bufs {
		b.WriteString(buf.String())
	}
	return b.String()
}

// personalData are the names and dates of birth the tests give young people.
var personalData = []string{fixtureGiven, fixtureFamily, "2009-04-17", "Quill", "Zeb"}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		logs := testLogs.all()
		for _, pii := range personalData {
			if strings.Contains(logs, pii) {
				fmt.Fprintf(os.Stderr, "FAIL: the API test suite's logs contain personal data %q\n", pii)
				code = 1
			}
		}
		if !strings.Contains(logs, "finished call") {
			fmt.Fprintln(os.Stderr, "FAIL: the API test suite logged no calls; the personal-data check proved nothing")
			code = 1
		}
	}
	os.Exit(code)
}
