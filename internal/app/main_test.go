package app_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/testclock"
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

// personalData are the names and dates of birth the tests give young people, and those of
// the demo young people.
func personalData() ([]string, error) {
	out := []string{fixtureGiven, fixtureFamily, fixtureBirth.String(), "Quill", "Zeb"}
	ctx := context.Background()
	s := memory.New()
	if _, err := demo.Load(ctx, s, planner.New(catalogue.Default(), testclock.Now), civil.Today(testclock.Now())); err != nil {
		return nil, err
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		yps, err := tx.ListYoungPeople(ctx, store.YoungPeopleQuery{Limit: 100})
		for _, yp := range yps {
			out = append(out, yp.GivenName, yp.FamilyName, yp.DateOfBirth.String())
		}
		if len(yps) < 5 {
			return fmt.Errorf("the demo data has %d young people", len(yps))
		}
		return err
	})
	return out, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		logs := testLogs.all()
		pii, err := personalData()
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: personal data to look for: %v\n", err)
			code = 1
		}
		for _, pii := range pii {
			if strings.Contains(logs, pii) {
				fmt.Fprintf(os.Stderr, "FAIL: the API test suite's logs contain personal data %q\n", pii)
				code = 1
			}
		}
		// With -run, a selection may make no call at all (the golden file's test, say).
		if !strings.Contains(logs, "finished call") && flag.Lookup("test.run").Value.String() == "" {
			fmt.Fprintln(os.Stderr, "FAIL: the API test suite logged no calls; the personal-data check proved nothing")
			code = 1
		}
	}
	os.Exit(code)
}
