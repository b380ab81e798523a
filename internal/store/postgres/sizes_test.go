package postgres

import (
	"testing"
	"unsafe"

	"github.com/carepath/carepath/internal/domain"
)

// A pathway's list, as first made, stays a small object (see pathwayMilestones): a field
// added to domain.Milestone may call for a smaller room.
func TestAPathwaysListIsASmallObject(t *testing.T) {
	const largeObject = 32 << 10 // the Go runtime's smallest large allocation, exclusive
	if size := pathwayMilestones * unsafe.Sizeof(domain.Milestone{}); size > largeObject {
		t.Errorf("room for %d milestones is %d bytes, a large object (over %d)", pathwayMilestones, size, largeObject)
	}
}
