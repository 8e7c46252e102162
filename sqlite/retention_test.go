package sqlite

import (
	"strings"
	"testing"
)

// The pruner reads only finished rows, through their own index, so pruning
// costs the rows it deletes, not the size of the queue or the history.
func TestPruneOutboxPlan(t *testing.T) {
	s := openTest(t, nil)
	plan := queryPlan(t, s, pruneOutboxQuery, 0, 10)
	if !strings.Contains(plan, "USING INDEX outbox_done (updated_at<?)") && !strings.Contains(plan, "USING COVERING INDEX outbox_done (updated_at<?)") {
		t.Errorf("prune does not use outbox_done:\n%s", plan)
	}
	if strings.Contains(plan, "SCAN outbox") {
		t.Errorf("prune scans the outbox:\n%s", plan)
	}
}
