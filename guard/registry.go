package guard

import "github.com/pkeyarena/pkeyarena/internal/regions"

// Region describes the mapping a Violation lies in: an arena's region, with its guard pages at
// both ends and the protection key of its data pages.
type Region = regions.Region
