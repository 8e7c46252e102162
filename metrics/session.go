package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunzhu/qunzhu"
)

var descSession = prometheus.NewDesc("qunzhu_session_state",
	"1 for the state each chat platform's session is in now, 0 for the others.",
	[]string{"platform", "state"}, nil)

// sessionStates are every state a session can be in, so each platform's
// series all exist and an alert on state="online" == 0 never sees a gap.
var sessionStates = []qunzhu.SessionState{
	qunzhu.StateStarting, qunzhu.StateWaitingScan, qunzhu.StateLoggingIn,
	qunzhu.StateOnline, qunzhu.StateOffline, qunzhu.StateBanned, qunzhu.StateStopped,
}

// sessionCollector asks the platforms for their state at each scrape.
type sessionCollector struct {
	sessions func() map[string]qunzhu.SessionState
}

func newSessionCollector(f func() map[string]qunzhu.SessionState) *sessionCollector {
	return &sessionCollector{sessions: f}
}

func (c *sessionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descSession }

func (c *sessionCollector) Collect(ch chan<- prometheus.Metric) {
	if c.sessions == nil {
		return
	}
	for platform, now := range c.sessions() {
		for _, st := range sessionStates {
			v := 0.0
			if st == now {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descSession, prometheus.GaugeValue, v, platform, string(st))
		}
	}
}
