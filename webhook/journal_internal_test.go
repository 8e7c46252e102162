package webhook

import (
	"testing"
	"time"
)

// While the applier keeps up it leaves the writer to intake nineteen times
// as long as its batch took (a twentieth of the writer); once the entries it applies
// were accepted applierLagBound ago or more, three times (a quarter); never
// less than 5 ms nor more than 100 ms.
func TestApplierPause(t *testing.T) {
	ms := time.Millisecond
	for _, tt := range []struct {
		took, lag, want time.Duration
	}{
		{2 * ms, time.Second, 38 * ms},
		{2 * ms, applierLagBound, 6 * ms},
		{2 * ms, time.Hour, 6 * ms},
		{100 * time.Microsecond, 0, 5 * ms},
		{20 * ms, time.Second, 100 * ms},
		{20 * ms, time.Minute, 60 * ms},
	} {
		if got := applierPause(tt.took, tt.lag); got != tt.want {
			t.Errorf("applierPause(%v, %v) = %v, want %v", tt.took, tt.lag, got, tt.want)
		}
	}
}
