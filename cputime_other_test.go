//go:build !unix

package qunzhu_test

import "time"

// cpuTime is unknown here; budgets fall back to wall time.
func cpuTime() time.Duration { return 0 }
