package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/catalogue"
)

// PathwaySettings are a council's stored choices about its pathways.
type PathwaySettings struct {
	CouncilID string
	catalogue.Settings
	// Revision is 0 for a council that has never saved settings (the defaults).
	Revision   int64
	UpdateTime time.Time
}
