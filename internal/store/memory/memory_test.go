package memory_test

import (
	"testing"

	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memory.New() })
}
